import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { homedir, hostname as localHostname, userInfo } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { TroubleshooterError } from '../errors';
import { readRegularFileSync } from '../local-file';
import { evaluateSshConfig, expandHostName, globPaths, type SshConfigSource, type SshOptions } from './ssh-config-eval';

/**
 * Where and how to reach one SSH host, resolved from ~/.ssh/config the way OpenSSH does (first value wins,
 * Host patterns with negation, tokens). `jump` is the previous hop of a ProxyJump chain (itself a target,
 * so hops are pooled too).
 */
export interface SshTarget {
  /** The name the user or the host map asked for (shown in logs and messages), e.g. "compute1". */
  alias: string;
  hostName: string;
  port: number;
  user: string;
  /** IdentityFile entries, expanded (~, %h %p %r %u %d %n %l %L %i %C %%, ${ENV}); may not exist. */
  identityFiles: string[];
  /** True when IdentityFile was set explicitly (OpenSSH's defaults are used otherwise). */
  identityFilesExplicit: boolean;
  identitiesOnly: boolean;
  /** Agent socket: IdentityAgent, else SSH_AUTH_SOCK; undefined means no agent. */
  agentSocket?: string;
  /** UserKnownHostsFile entries, expanded; the first one receives accepted keys. */
  knownHostsFiles: string[];
  globalKnownHostsFiles: string[];
  strictHostKeyChecking: 'yes' | 'ask' | 'accept-new' | 'no';
  hashKnownHosts: boolean;
  /** HostKeyAlias: the name looked up in known_hosts instead of the host name. */
  hostKeyAlias?: string;
  /** ConnectTimeout in ms (undefined: the pool default). */
  connectTimeoutMs?: number;
  /** ServerAliveInterval in ms (undefined: the pool default, 15 s; keepalive is never off). */
  serverAliveIntervalMs?: number;
  serverAliveCountMax: number;
  /** The hop this target is reached through (ProxyJump). */
  jump?: SshTarget;
  /** ProxyJump as `ssh -G` prints it (the earlier hops as written, the last one parsed); undefined: none. */
  proxyJump?: string;
  /**
   * ProxyCommand as written (tokens unexpanded); undefined: none. Whichever of ProxyJump and ProxyCommand is set
   * first wins, as in OpenSSH, so a target has at most one of `jump` and `proxyCommand`.
   */
  proxyCommand?: string;
  /** Pool identity: `user@host:port` plus the chain. */
  key: string;
}

export interface SshConfigOptions {
  /**
   * Config file (default ~/.ssh/config). A missing default file is an empty config, as for OpenSSH; a file named
   * explicitly (`configFileRequired`, like `ssh -F FILE`) must exist.
   */
  configFile?: string;
  /** The file was named by the user (`--ssh-config`): missing is an error, as `ssh -F /nonexistent` refuses it. */
  configFileRequired?: boolean;
  /** Config text instead of a file (tests). Include paths are then relative to `home`/.ssh. */
  text?: string;
  /** Home directory for `~` and `%d` (default os.homedir()). */
  home?: string;
  /** Environment for `${VAR}` and SSH_AUTH_SOCK (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Local user name for `%u` and the default User (default os.userInfo().username). */
  localUser?: string;
  /** Evaluate `Match exec` (runs a shell without a deadline; off by default). */
  matchExec?: boolean;
}

const MAX_HOPS = 8;

/** OpenSSH 9.2's identity files when none is configured (fill_default_options), in its order. */
export const DEFAULT_IDENTITY_FILES = ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk', 'id_xmss', 'id_dsa'];

/** Resolves ssh aliases to targets. Cheap to create; `reload()` re-reads the file. */
export class SshConfigResolver {
  private source!: SshConfigSource;
  readonly configFile: string;
  private readonly home: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly localUser: string;

  constructor(private readonly options: SshConfigOptions = {}) {
    this.home = options.home ?? homedir();
    this.env = options.env ?? process.env;
    this.localUser = options.localUser ?? safeLocalUser(this.env);
    this.configFile = options.configFile ?? join(this.home, '.ssh', 'config');
    this.reload();
  }

  reload(): void {
    let text = this.options.text;
    if (text === undefined) {
      if (!existsSync(this.configFile) && !this.options.configFileRequired) text = '';
      else text = readConfigFile(this.configFile);
    }
    this.source = { text, file: this.configFile, read: readConfigFile };
    // Parse once now, so a broken config is reported on load rather than on first use.
    this.evaluate('x', {});
  }

  private evaluate(host: string, preset: Record<string, string[]>): SshOptions {
    try {
      return evaluateSshConfig(this.source, { host, home: this.home, localUser: this.localUser, preset, matchExec: this.options.matchExec === true, env: this.env },
        (o) => finalHostName(o, host));
    } catch (e) {
      if (e instanceof TroubleshooterError) throw e;
      throw new TroubleshooterError('ConfigInvalid', `Cannot parse the SSH config "${this.configFile}".`, { subject: this.configFile }, { cause: e });
    }
  }

  /** Host aliases written literally in the config and its Includes (no wildcards, no negations): candidates for pickers. */
  aliases(): string[] {
    return hostAliases(this.source, this.home);
  }

  /** The target for an alias or host name, with its ProxyJump chain resolved. */
  resolve(alias: string): SshTarget {
    return this.resolveInner(alias, {}, 0);
  }

  private resolveInner(alias: string, override: { user?: string; port?: number; jumpSpec?: string; jump?: SshTarget }, depth: number): SshTarget {
    if (!alias || /[\s\0]/.test(alias) || alias.startsWith('-')) {
      throw new TroubleshooterError('InvalidInput', `Invalid SSH host "${alias}".`);
    }
    if (depth > MAX_HOPS) {
      throw new TroubleshooterError('ConfigInvalid', `ProxyJump chain of "${alias}" is longer than ${MAX_HOPS} hops (a loop?).`, { subject: alias });
    }
    // -l, -p and -J as ssh passes them to a jump host's own ssh: set before the config, so they win.
    const preset: Record<string, string[]> = {};
    if (override.user !== undefined) preset.user = [override.user];
    if (override.port !== undefined) preset.port = [String(override.port)];
    if (override.jumpSpec !== undefined) preset.proxyjump = [override.jumpSpec];
    const c = this.evaluate(alias, preset);
    const one = (k: string): string | undefined => c.first(k);
    const list = (k: string): string[] | undefined => c.args(k);
    const port = intOf(one('port'), 22, 'Port', alias);
    const user = one('user') ?? this.localUser;
    const hostName = finalHostName(c, alias);
    const tok = (s: string) => this.expand(s, { alias, hostName, port, user });

    const configured = c.all('identityfile');
    const identityExplicit = configured !== undefined;
    const identityFiles = configured
      ? configured.filter((f) => f.toLowerCase() !== 'none').map(tok)
      : DEFAULT_IDENTITY_FILES.map((f) => join(this.home, '.ssh', f));

    const agentConf = one('identityagent');
    let agentSocket: string | undefined;
    if (agentConf === undefined || agentConf === 'SSH_AUTH_SOCK') agentSocket = this.env.SSH_AUTH_SOCK || undefined;
    else if (agentConf.toLowerCase() !== 'none') agentSocket = tok(agentConf.startsWith('$') && !agentConf.startsWith('${') ? `\${${agentConf.slice(1)}}` : agentConf);

    const knownHostsFiles = (list('userknownhostsfile') ?? ['~/.ssh/known_hosts', '~/.ssh/known_hosts2'])
      .filter((f) => f.toLowerCase() !== 'none').map(tok);
    const globalKnownHostsFiles = (list('globalknownhostsfile') ?? ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'])
      .filter((f) => f.toLowerCase() !== 'none').map(tok);

    const strictRaw = (one('stricthostkeychecking') ?? 'ask').toLowerCase();
    const strictHostKeyChecking = strictRaw === 'yes' || strictRaw === 'true' ? 'yes'
      : strictRaw === 'accept-new' ? 'accept-new'
      : strictRaw === 'no' || strictRaw === 'off' || strictRaw === 'false' ? 'no' : 'ask';

    const connectTimeout = one('connecttimeout');
    const aliveInterval = one('serveraliveinterval');
    const hostKeyAlias = one('hostkeyalias');

    // ProxyJump: "none", or a comma list "[user@]host[:port]" / "ssh://[user@]host[:port]". ssh hands the last hop
    // to a jump ssh as `-l user -p port -J <the earlier hops> host`: the first hop is resolved with its own config
    // (including its own ProxyJump), each later one with -J, so through the previous hop.
    let jump = override.jump;
    let proxyJump: string | undefined;
    const pj = one('proxyjump');
    if (pj && pj.toLowerCase() !== 'none') {
      const specs = pj.split(',').map((h) => h.trim());
      const hops = specs.map((h) => parseJumpSpec(h, alias));
      const last = hops[hops.length - 1];
      if (hops.length === 1 && (last.host === alias || last.host === hostName)) {
        // ssh: "jumphost loop via <host>" (a `Host *` ProxyJump reaching the jump host itself)
        throw new TroubleshooterError('ConfigInvalid', `ProxyJump of "${alias}" leads to itself (a "Host *" ProxyJump without "ProxyJump none" for the jump host?).`, { subject: alias });
      }
      proxyJump = [...specs.slice(0, -1), `${last.user ? `${last.user}@` : ''}${last.host.includes(':') ? `[${last.host}]` : last.host}${last.port ? `:${last.port}` : ''}`].join(',');
      if (!override.jump) {
        let prev: SshTarget | undefined;
        for (const [i, h] of hops.entries()) {
          prev = i === 0
            ? this.resolveInner(h.host, { user: h.user, port: h.port }, depth + 1)
            : this.resolveInner(h.host, { user: h.user, port: h.port, jumpSpec: specs.slice(0, i).join(','), jump: prev }, depth + 1);
        }
        jump = prev;
      }
    }
    const pc = one('proxycommand');
    const proxyCommand = pc !== undefined && pc.toLowerCase() !== 'none' ? pc : undefined;

    return {
      alias,
      hostName,
      port,
      user,
      identityFiles,
      identityFilesExplicit: identityExplicit,
      identitiesOnly: yes(one('identitiesonly')),
      agentSocket,
      knownHostsFiles,
      globalKnownHostsFiles,
      strictHostKeyChecking,
      hashKnownHosts: yes(one('hashknownhosts')),
      hostKeyAlias,
      connectTimeoutMs: connectTimeout !== undefined ? intOf(connectTimeout, 0, 'ConnectTimeout', alias) * 1000 : undefined,
      serverAliveIntervalMs: aliveInterval !== undefined ? intOf(aliveInterval, 0, 'ServerAliveInterval', alias) * 1000 : undefined,
      serverAliveCountMax: intOf(one('serveralivecountmax'), 3, 'ServerAliveCountMax', alias),
      jump,
      proxyJump,
      proxyCommand,
      key: `${user}@${hostName}:${port}${jump ? ` via ${jump.key}` : proxyCommand ? ` via ProxyCommand ${proxyCommand}` : ''}`,
    };
  }

  /** ssh_config TOKENS for IdentityFile, UserKnownHostsFile, IdentityAgent; `~` and `${VAR}` too. */
  private expand(value: string, t: { alias: string; hostName: string; port: number; user: string }): string {
    const local = localHostname();
    let s = value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      const v = this.env[name];
      if (v === undefined) throw new TroubleshooterError('ConfigInvalid', `Environment variable "${name}" used in the SSH config is not set.`);
      return v;
    });
    s = s.replace(/%(.)/g, (m, ch: string) => {
      switch (ch) {
        case '%': return '%';
        case 'h': return t.hostName;
        case 'p': return String(t.port);
        case 'r': return t.user;
        case 'u': return this.localUser;
        case 'n': return t.alias;
        case 'd': return this.home;
        case 'l': return local;
        case 'L': return local.split('.')[0];
        case 'i': return String(typeof process.getuid === 'function' ? process.getuid() : 0);
        case 'C': return createHash('sha1').update(`${local}${t.hostName}${t.port}${t.user}`).digest('hex');
        default: throw new TroubleshooterError('ConfigInvalid', `Unknown token "${m}" in the SSH config value "${value}".`);
      }
    });
    if (s === '~') return this.home;
    if (s.startsWith('~/')) return join(this.home, s.slice(2));
    return s; // a relative path stays relative (to the working folder), as ssh opens it

  }
}

function yes(v: string | undefined): boolean {
  return v !== undefined && /^(yes|true)$/i.test(v);
}

function intOf(v: string | undefined, dflt: number, what: string, alias: string): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v)) throw new TroubleshooterError('ConfigInvalid', `${what} of "${alias}" is not a number: "${v}".`, { subject: alias });
  return Number(v);
}

function parseJumpSpec(spec: string, alias: string): { user?: string; host: string; port?: number } {
  const m = /^(?:ssh:\/\/)?(?:([^@\s]+)@)?(\[[^\]]+\]|[^:\s]+)(?::(\d+))?$/.exec(spec);
  if (!m) throw new TroubleshooterError('ConfigInvalid', `Invalid ProxyJump entry for "${alias}": "${spec}".`, { subject: alias });
  return { user: m[1], host: m[2].replace(/^\[|\]$/g, ''), port: m[3] ? Number(m[3]) : undefined };
}

function safeLocalUser(env: NodeJS.ProcessEnv): string {
  try {
    return userInfo().username;
  } catch {
    return env.USER ?? env.USERNAME ?? 'root';
  }
}

/** The HostName ssh connects to: `%h` expanded, then lowercased (ssh.c lowercases the host after the config). */
function finalHostName(o: SshOptions, typed: string): string {
  const raw = o.first('hostname');
  return (raw !== undefined ? expandHostName(raw, typed) : typed).toLowerCase();
}

/** Literal Host names of a config and its Includes (no wildcards or negations), for pickers. */
function hostAliases(source: SshConfigSource, home: string): string[] {
  const out = new Set<string>();
  const seen = new Set<string>();
  const walk = (text: string, depth: number) => {
    if (depth > 16) return;
    for (const raw of text.split('\n')) {
      const m = /^\s*(host|include)(?:\s*=\s*|\s+)(.+)$/i.exec(raw);
      if (!m) continue;
      const words = (m[2].replace(/\s+#.*$/, '').match(/"[^"]*"|\S+/g) ?? []).map((w) => w.replace(/^"|"$/g, ''));
      if (m[1].toLowerCase() === 'host') {
        for (const v of words) if (v && !/[*?!]/.test(v)) out.add(v);
        continue;
      }
      for (const w of words) {
        const p = w.startsWith('~/') ? join(home, w.slice(2)) : isAbsolute(w) ? w : join(home, '.ssh', w);
        for (const f of globPaths(p)) {
          if (seen.has(f)) continue;
          seen.add(f);
          try {
            walk(source.read(f), depth + 1);
          } catch {
            // an unreadable Include names no alias; resolve() reports it
          }
        }
      }
    }
  };
  walk(source.text, 0);
  return [...out];
}

/** An SSH config is a few KiB: a bounded read of a regular file, with OpenSSH's reasons in our words. */
function readConfigFile(path: string): string {
  try {
    return readRegularFileSync(path, { maxBytes: MAX_SSH_CONFIG_BYTES }).bytes.toString('utf8');
  } catch (e) {
    if (e instanceof TroubleshooterError) throw new TroubleshooterError('ConfigInvalid', `Cannot use the SSH config file: ${e.message.replace(/^./, (c) => c.toLowerCase())}`, { subject: path }, { cause: e });
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (code ?? 'error');
    throw new TroubleshooterError('ConfigInvalid', `Cannot open the SSH config file (${why}): "${path}".`, { subject: path }, { cause: e });
  }
}

const MAX_SSH_CONFIG_BYTES = 4 * 1024 * 1024;
