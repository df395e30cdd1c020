import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { homedir, hostname as localHostname, userInfo } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { parse as parseSshConfig } from 'ssh-config';
import { TroubleshooterError } from '../errors';
import { readRegularFileSync } from '../local-file';

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

/** Resolves ssh aliases to targets. Cheap to create; `reload()` re-reads the file. */
export class SshConfigResolver {
  private config!: ReturnType<typeof parseSshConfig>;
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
    const baseDir = this.options.text === undefined ? dirname(this.configFile) : join(this.home, '.ssh');
    try {
      this.config = parseSshConfig(expandIncludes(text, baseDir, this.home, 0));
    } catch (e) {
      if (e instanceof TroubleshooterError) throw e; // an Include that cannot be read, or a loop: already one sentence
      throw new TroubleshooterError('ConfigInvalid', `Cannot parse the SSH config "${this.configFile}".`, { subject: this.configFile }, { cause: e });
    }
  }

  /** Host aliases written literally in the config (no wildcards, no negations): candidates for pickers. */
  aliases(): string[] {
    const out = new Set<string>();
    for (const line of this.config) {
      if (!('param' in line) || !/^host$/i.test(line.param)) continue;
      const values = Array.isArray(line.value) ? line.value.map((v) => v.val) : line.value.split(/\s+/);
      for (const v of values) if (v && !/[*?!]/.test(v)) out.add(v);
    }
    return [...out];
  }

  /** The target for an alias or host name, with its ProxyJump chain resolved. */
  resolve(alias: string): SshTarget {
    return this.resolveInner(alias, {}, 0);
  }

  private resolveInner(alias: string, override: { user?: string; port?: number; noJump?: boolean; jump?: SshTarget }, depth: number): SshTarget {
    if (!alias || /[\s\0]/.test(alias) || alias.startsWith('-')) {
      throw new TroubleshooterError('InvalidInput', `Invalid SSH host "${alias}".`);
    }
    if (depth > MAX_HOPS) {
      throw new TroubleshooterError('ConfigInvalid', `ProxyJump chain of "${alias}" is longer than ${MAX_HOPS} hops (a loop?).`, { subject: alias });
    }
    const c = this.config.compute(alias, { ignoreCase: true, matchExec: this.options.matchExec === true }) as Record<string, string | string[] | undefined>;
    const one = (k: string): string | undefined => {
      const v = c[k];
      return Array.isArray(v) ? v[0] : v;
    };
    const list = (k: string): string[] | undefined => {
      const v = c[k];
      if (v === undefined) return undefined;
      return (Array.isArray(v) ? v : [v]).flatMap((x) => x.split(/\s+/)).filter(Boolean);
    };
    const port = override.port ?? intOf(one('port'), 22, 'Port', alias);
    const user = override.user ?? one('user') ?? this.localUser;
    const rawHostName = one('hostname');
    const hostName = rawHostName ? rawHostName.replace(/%(%|h)/g, (_, t: string) => (t === '%' ? '%' : alias)) : alias;
    const tok = (s: string) => this.expand(s, { alias, hostName, port, user });

    const identityExplicit = c.identityfile !== undefined;
    const identityFiles = identityExplicit
      ? (c.identityfile as string[]).filter((f) => f.toLowerCase() !== 'none').map(tok)
      : ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk'].map((f) => join(this.home, '.ssh', f));

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

    // ProxyJump: "none", or a comma list "[user@]host[:port]" / "ssh://[user@]host[:port]". The first hop is
    // resolved with its own config (including its own ProxyJump); each later hop goes through the previous one.
    let jump = override.jump;
    const pj = one('proxyjump');
    if (!override.noJump && !jump && pj && pj.toLowerCase() !== 'none') {
      const hops = pj.split(',').map((h) => parseJumpSpec(h.trim(), alias));
      let prev: SshTarget | undefined;
      for (const [i, h] of hops.entries()) {
        prev = i === 0
          ? this.resolveInner(h.host, { user: h.user, port: h.port }, depth + 1)
          : this.resolveInner(h.host, { user: h.user, port: h.port, noJump: true, jump: prev }, depth + 1);
      }
      jump = prev;
    }
    if (one('proxycommand') && !jump && one('proxycommand')!.toLowerCase() !== 'none') {
      throw new TroubleshooterError('Unsupported', `ProxyCommand is not supported; use ProxyJump for "${alias}".`, { subject: alias });
    }

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
      key: `${user}@${hostName}:${port}${jump ? ` via ${jump.key}` : ''}`,
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
    if (!isAbsolute(s)) return join(this.home, '.ssh', s);
    return s;
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

/**
 * Inlines `Include` directives (globs in the last path component; relative paths are relative to the config's
 * folder, ~/.ssh for the user config). An Include inside a Host block inlines there, as OpenSSH applies it
 * under that block's condition; a Host line inside an included file ends the block (close to OpenSSH).
 */
function expandIncludes(text: string, baseDir: string, home: string, depth: number): string {
  if (depth > 16) throw new TroubleshooterError('ConfigInvalid', 'SSH config Include nesting is deeper than 16 (a loop?).');
  return text.split(/\r?\n/).map((line) => {
    const m = /^\s*include(?:\s+|\s*=\s*)(.+)$/i.exec(line);
    if (!m) return line;
    const files = m[1].match(/"[^"]*"|\S+/g) ?? [];
    const parts: string[] = [];
    for (const raw of files) {
      let p = raw.replace(/^"|"$/g, '');
      if (p.startsWith('~/')) p = join(home, p.slice(2));
      else if (!isAbsolute(p)) p = join(baseDir, p);
      for (const f of globFiles(p)) parts.push(expandIncludes(readConfigFile(f), baseDir, home, depth + 1));
    }
    return parts.join('\n');
  }).join('\n');
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

function globFiles(pattern: string): string[] {
  const dir = dirname(pattern);
  const base = basename(pattern);
  if (!/[*?]/.test(base)) return existsSync(pattern) ? [pattern] : [];
  if (!existsSync(dir)) return [];
  const re = new RegExp(`^${base.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return readdirSync(dir).filter((f) => re.test(f)).sort().map((f) => join(dir, f));
}
