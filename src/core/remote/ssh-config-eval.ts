import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { parse as parseSshConfig } from 'ssh-config';
import { TroubleshooterError } from '../errors';

/**
 * OpenSSH 9.2's evaluation of a client config (readconf.c), line by line; the `ssh-config` package tokenizes each
 * line (keyword, `=`, quotes, comments), we do the rest because its `compute()` differs from ssh where operators
 * notice (the differential tier, test/differential/ssh-config.test.ts, holds us to `ssh -G`):
 * - `Host` patterns match the name as typed, case-sensitively (`*`, `?` = exactly one character, `!` negation);
 * - `Match` criteria `all`, `canonical`, `final`, `exec` (only when allowed), `host` (the HostName so far,
 *   case-insensitive, comma lists with `!`), `originalhost`, `user`, `localuser`, each negatable with `!`;
 *   `Match final` (and `canonical`) re-read the whole config once more with the final host name;
 * - the first value obtained wins (IdentityFile and CertificateFile accumulate); ProxyCommand and ProxyJump exclude
 *   each other, whichever is set first (`ProxyCommand none` blocks a later ProxyJump; `ProxyJump none` blocks a later
 *   ProxyJump but not a later ProxyCommand);
 * - `Include`: relative paths resolve against ~/.ssh (user configs), globs in any component sorted, missing files
 *   ignored; the included lines run under the state of the block the Include is in (inside a block that does not
 *   apply, nothing in the file can apply), and after the Include that block applies again.
 */

/** Keywords whose every occurrence is kept (in order), not only the first. */
const ACCUMULATE = new Set(['identityfile', 'certificatefile', 'localforward', 'remoteforward', 'dynamicforward', 'sendenv', 'setenv']);
const MAX_INCLUDE_DEPTH = 16;

export interface SshConfigQuery {
  /** The host name as typed (`ssh <host>`). */
  host: string;
  home: string;
  localUser: string;
  /** Command-line values (`-l`, `-p`, `-J`): set before the config is read, so they win. */
  preset?: Record<string, string[]>;
  /** Run `Match exec` commands (the user's shell); false: a `Match exec` never matches. */
  matchExec?: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface SshConfigSource {
  /** The config's text. */
  text: string;
  /** Its path (for messages). */
  file: string;
  /** Reads an included file (bounded, regular file). */
  read(path: string): string;
}

/** The evaluated options: keyword (lowercase) → arguments of the occurrence that won (all occurrences for lists). */
export class SshOptions {
  private readonly values = new Map<string, string[]>();
  private readonly lists = new Map<string, string[]>();
  /** ProxyCommand as written (the rest of its line). */
  proxyCommand?: string;

  constructor(preset: Record<string, string[]> = {}) {
    for (const [k, v] of Object.entries(preset)) this.values.set(k, v);
  }

  has(k: string): boolean {
    return this.values.has(k) || this.lists.has(k);
  }

  first(k: string): string | undefined {
    return k === 'proxycommand' ? this.proxyCommand : this.values.get(k)?.[0];
  }

  args(k: string): string[] | undefined {
    return this.values.get(k);
  }

  all(k: string): string[] | undefined {
    return this.lists.get(k);
  }

  set(k: string, args: string[], rawRest: string): void {
    if (ACCUMULATE.has(k)) {
      this.lists.set(k, [...(this.lists.get(k) ?? []), args[0] ?? '']);
      return;
    }
    if (k === 'proxycommand') {
      // A ProxyJump set before blocks it, except `ProxyJump none` (OpenSSH 9.2, proven by the differential tier).
      const jump = this.values.get('proxyjump')?.[0];
      if (this.proxyCommand === undefined && (jump === undefined || jump.toLowerCase() === 'none')) this.proxyCommand = rawRest;
      return;
    }
    if (k === 'proxyjump' && this.proxyCommand !== undefined) return;
    if (!this.values.has(k)) this.values.set(k, args);
  }
}

interface Line {
  keyword: string;
  args: string[];
  /** The text after the keyword and its separator, trailing blanks removed (ProxyCommand takes it as is). */
  rest: string;
  lineNo: number;
}

function tokenize(text: string, file: string): Line[] {
  const out: Line[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/[ \t\r\f]+$/, '');
    if (/^\s*(#|$)/.test(line)) return;
    const m = /^\s*([A-Za-z][A-Za-z0-9]*)(?:\s*=\s*|\s+)(.*)$/.exec(line);
    if (!m) {
      throw new TroubleshooterError('ConfigInvalid', `Line ${i + 1} of the SSH config "${file}" has no value: "${line.trim()}".`, { subject: file, file, line: i + 1 });
    }
    let args: string[];
    try {
      const node = parseSshConfig(line)[0] as { value?: string | { val: string }[] } | undefined;
      const v = node?.value;
      args = v === undefined ? [] : Array.isArray(v) ? v.map((x) => x.val) : [v]; // a string is one value (quotes removed)
    } catch (e) {
      throw new TroubleshooterError('ConfigInvalid', `Cannot parse line ${i + 1} of the SSH config "${file}".`, { subject: file, file, line: i + 1 }, { cause: e });
    }
    out.push({ keyword: m[1].toLowerCase(), args, rest: m[2], lineNo: i + 1 });
  });
  return out;
}

/** OpenSSH's match_pattern: `*` any run, `?` exactly one character, case-sensitive. */
export function sshPatternMatch(text: string, pattern: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's');
  return re.test(text);
}

/** OpenSSH's match_pattern_list: comma list, `!` negates (any negated match fails the list). */
export function sshPatternListMatch(text: string, list: string, lowerPatterns: boolean): boolean {
  let positive = false;
  for (let p of list.split(',')) {
    const negated = p.startsWith('!');
    if (negated) p = p.slice(1);
    if (lowerPatterns) p = p.toLowerCase();
    if (sshPatternMatch(text, p)) {
      if (negated) return false;
      positive = true;
    }
  }
  return positive;
}

interface PassState {
  query: SshConfigQuery;
  source: SshConfigSource;
  options: SshOptions;
  /** The host name Host lines compare (as typed in the first pass, the final HostName in the final pass). */
  host: string;
  finalPass: boolean;
  wantFinal: boolean;
}

/** Evaluates a config for one host as `ssh -G` does; `finalHost` maps the HostName after the first pass. */
export function evaluateSshConfig(source: SshConfigSource, query: SshConfigQuery, finalHost: (o: SshOptions) => string): SshOptions {
  const options = new SshOptions(query.preset);
  const state: PassState = { query, source, options, host: query.host, finalPass: false, wantFinal: false };
  runFile(state, tokenize(source.text, source.file), source.file, { active: true }, false, 0);
  if (state.wantFinal) {
    const st2: PassState = { ...state, host: finalHost(options), finalPass: true };
    runFile(st2, tokenize(source.text, source.file), source.file, { active: true }, false, 0);
  }
  return options;
}

function runFile(st: PassState, lines: Line[], file: string, act: { active: boolean }, neverMatch: boolean, depth: number): void {
  for (const l of lines) {
    switch (l.keyword) {
      case 'host': {
        act.active = false;
        if (neverMatch) break;
        let matched = false;
        for (const p of l.args) {
          const neg = p.startsWith('!');
          if (sshPatternMatch(st.host, neg ? p.slice(1) : p)) {
            if (neg) {
              matched = false;
              break;
            }
            matched = true;
          }
        }
        act.active = matched;
        break;
      }
      case 'match': {
        const r = matchLine(st, l, file);
        act.active = neverMatch ? false : r;
        break;
      }
      case 'include':
        if (depth >= MAX_INCLUDE_DEPTH) {
          throw new TroubleshooterError('ConfigInvalid', `Too many nested Include in the SSH config "${file}" (a loop?).`, { subject: file, file, line: l.lineNo });
        }
        for (const arg of l.args) {
          let p = arg;
          if (p.startsWith('~')) p = p === '~' ? st.query.home : p.startsWith('~/') ? join(st.query.home, p.slice(2)) : p;
          else if (!isAbsolute(p)) p = join(st.query.home, '.ssh', p);
          for (const f of globPaths(p)) {
            const outer = act.active;
            runFile(st, tokenize(st.source.read(f), f), f, act, neverMatch || !outer, depth + 1);
            act.active = outer;
          }
        }
        break;
      default:
        if (act.active) st.options.set(l.keyword, l.args, l.rest);
    }
  }
}

function matchLine(st: PassState, l: Line, file: string): boolean {
  const bad = (why: string) =>
    new TroubleshooterError('ConfigInvalid', `Invalid Match on line ${l.lineNo} of the SSH config "${file}": ${why}.`, { subject: file, file, line: l.lineNo });
  const o = st.options;
  const q = st.query;
  const hostNameSoFar = o.first('hostname');
  const host = st.finalPass ? st.host : hostNameSoFar !== undefined ? expandHostName(hostNameSoFar, q.host) : q.host;
  const user = o.first('user') ?? q.localUser;
  const port = o.first('port') ?? '22';
  const args = [...l.args];
  if (args.length === 0) throw bad('no criteria');
  let result = true;
  while (args.length) {
    let attr = args.shift()!;
    const negate = attr.startsWith('!');
    if (negate) attr = attr.slice(1);
    attr = attr.toLowerCase();
    let r: boolean;
    if (attr === 'all') {
      if (l.args.length > 1) throw bad('"all" cannot be combined with other criteria');
      r = true;
    } else if (attr === 'canonical' || attr === 'final') {
      if (attr === 'final') st.wantFinal = true;
      r = st.finalPass;
    } else {
      const arg = args.shift();
      if (arg === undefined || arg === '') throw bad(`"${attr}" needs an argument`);
      switch (attr) {
        case 'host': r = sshPatternListMatch(host.toLowerCase(), arg, true); break;
        case 'originalhost': r = sshPatternListMatch(q.host, arg, false); break;
        case 'user': r = sshPatternListMatch(user, arg, false); break;
        case 'localuser': r = sshPatternListMatch(q.localUser, arg, false); break;
        case 'exec': r = q.matchExec === true && runMatchExec(arg, { h: host, n: q.host, p: port, r: user, u: q.localUser, d: q.home }, q.env); break;
        default: throw bad(`unknown criterion "${attr}"`);
      }
    }
    if (r === negate) result = false;
  }
  return result;
}

/** `HostName` as ssh uses it: `%h` is the name typed, `%%` a percent. */
export function expandHostName(value: string, typed: string): string {
  return value.replace(/%(.)/g, (m, c: string) => {
    if (c === '%') return '%';
    if (c === 'h') return typed;
    throw new TroubleshooterError('ConfigInvalid', `Unknown token "${m}" in HostName "${value}".`);
  });
}

/** `Match exec`: the user's own shell runs the command (as ssh does); exit 0 matches. */
function runMatchExec(cmd: string, t: Record<string, string>, env: NodeJS.ProcessEnv = process.env): boolean {
  const expanded = cmd.replace(/%(.)/g, (m, c: string) => (c === '%' ? '%' : t[c] ?? m));
  const shell = env.SHELL || '/bin/sh';
  const r = spawnSync(shell, ['-c', expanded], { stdio: 'ignore', timeout: 10_000, env });
  return r.status === 0;
}

/** glob(3) for Include: `*` and `?` in any component, hidden names only when the pattern starts with a dot. */
export function globPaths(pattern: string): string[] {
  const parts = pattern.split('/');
  let found: string[] = [parts[0] === '' ? '/' : parts[0]];
  for (const part of parts.slice(1)) {
    if (part === '') continue;
    const next: string[] = [];
    for (const base of found) {
      if (!/[*?]/.test(part)) {
        next.push(join(base, part));
        continue;
      }
      let names: string[];
      try {
        names = readdirSync(base);
      } catch {
        continue;
      }
      for (const n of names.sort()) {
        if (n.startsWith('.') && !part.startsWith('.')) continue;
        if (sshPatternMatch(n, part)) next.push(join(base, n));
      }
    }
    found = next;
  }
  return found.filter((f) => {
    try {
      return existsSync(f) && !statSync(f).isDirectory();
    } catch {
      return false;
    }
  });
}
