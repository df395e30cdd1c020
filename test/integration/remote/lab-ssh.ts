import { spawn, type ChildProcess, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryLogger } from '../../../src/core/log';
import { SshPool, type SshPoolOptions } from '../../../src/core/remote/pool';
import { SshConfigResolver, type SshTarget } from '../../../src/core/remote/ssh-config';
import { ensureLab, labDir } from '../../support/lab';

/** The lab's ssh material (.lab/ssh/config, known_hosts, id_ed25519) and a pool over it. */
export function labSsh() {
  const env = ensureLab();
  const configFile = env.LAB_SSH_CONFIG ?? join(labDir, 'ssh', 'config');
  const resolver = new SshConfigResolver({ configFile, env: {} });
  return {
    env,
    configFile,
    knownHosts: env.LAB_KNOWN_HOSTS ?? join(labDir, 'ssh', 'known_hosts'),
    key: env.LAB_SSH_KEY ?? join(labDir, 'ssh', 'id_ed25519'),
    resolver,
    pool(options: Partial<SshPoolOptions> = {}) {
      const logger = new MemoryLogger();
      const pool = new SshPool({ resolve: (a) => resolver.resolve(a), logger, ...options });
      return { pool, logger };
    },
  };
}

/** A copy of `t` that is a different pool key (so tests never share connections by accident). */
export function variant(t: SshTarget, over: Partial<SshTarget>, tag: string): SshTarget {
  const v = { ...t, ...over };
  v.key = `${v.user}@${v.hostName}:${v.port}#${tag}`;
  return v;
}

/** The host key line of `name` in the lab's known_hosts. */
export function labHostKey(knownHosts: string, name: string): { type: string; b64: string } {
  const line = readFileSync(knownHosts, 'utf8').split('\n').find((l) => l.split(' ')[0].split(',').includes(name));
  if (!line) throw new Error(`no known_hosts line for ${name}`);
  const [, type, b64] = line.split(' ');
  return { type, b64 };
}

/**
 * A throw-away sshd of our own inside a lab host's network namespace, on another port, with the lab host's key
 * and authorized keys: destructive fault tests kill and firewall this one, never the lab's sshd.
 */
export class OwnSshd {
  private proc?: ChildProcess;
  readonly dir = mkdtempSync(join(tmpdir(), 'ost-sshd-'));

  /** `extra`: sshd_config lines put first (first value wins), e.g. `SetEnv SHLVL=1`. */
  constructor(readonly host: string, readonly address: string, readonly port: number, readonly extra: string[] = []) {}

  get netns() {
    return `osl-${this.host}`;
  }

  async start(): Promise<void> {
    const hostDir = join(labDir, 'hosts', this.host, 'ssh');
    const base = readFileSync(join(hostDir, 'sshd_config'), 'utf8').split('\n')
      .filter((l) => !/^\s*(Port|ListenAddress|PidFile)\b/i.test(l));
    const conf = join(this.dir, 'sshd_config');
    writeFileSync(conf, [...this.extra, `Port ${this.port}`, `ListenAddress ${this.address}`, `PidFile ${join(this.dir, 'sshd.pid')}`, ...base].join('\n'));
    this.proc = spawn('ip', ['netns', 'exec', this.netns, '/usr/sbin/sshd', '-D', '-e', '-f', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    this.proc.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
    const until = Date.now() + 10_000;
    while (Date.now() < until) {
      if (this.proc.exitCode !== null) throw new Error(`own sshd exited: ${err}`);
      try {
        execFileSync('ip', ['netns', 'exec', this.netns, 'bash', '-c', `exec 3<>/dev/tcp/${this.address}/${this.port}`], { stdio: 'ignore', timeout: 2000 });
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error(`own sshd did not listen on ${this.address}:${this.port}: ${err}`);
  }

  /** SIGKILL the listener and every session process it forked (what a crashed or OOM-killed sshd looks like). */
  kill(): void {
    const root = this.proc?.pid;
    if (!root) return;
    for (const pid of [...descendants(root)].reverse()) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    try { process.kill(root, 'SIGKILL'); } catch { /* gone */ }
    this.proc = undefined;
  }

  /** Drop (not reject) every packet to our port in the host's namespace. Returns the undo. */
  dropPackets(): () => void {
    const rule = ['INPUT', '-p', 'tcp', '--dport', String(this.port), '-j', 'DROP'];
    execFileSync('ip', ['netns', 'exec', this.netns, 'iptables', '-I', ...rule]);
    let undone = false;
    return () => {
      if (undone) return;
      undone = true;
      execFileSync('ip', ['netns', 'exec', this.netns, 'iptables', '-D', ...rule]);
    };
  }

  stop(): void {
    this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(d));
      children.set(ppid, list);
    } catch {
      // exited
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

export function iptablesAvailable(netns: string): boolean {
  try {
    execFileSync('ip', ['netns', 'exec', netns, 'iptables', '-S', 'INPUT'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

export function exists(p: string) {
  return existsSync(p);
}
