/**
 * 100 short sequential commands (`true`) to one lab host, three ways, in one run:
 *
 *   pool          run() through SshPool: one pooled ssh2 connection; short commands go to a shell worker (a
 *                 long-lived remote sh, see src/core/remote/worker.ts), so no sshd session or login shell per command
 *   controlmaster OpenSSH `ssh host true` with ControlMaster=auto/ControlPersist (ControlPath in a temp dir):
 *                 a process start + a mux round trip per command
 *   plain         OpenSSH `ssh -F .lab/ssh/config host true`: a process, a TCP connection and a handshake each
 *
 *   (also recorded: the pool with shellWorkers 0, i.e. a channel per command, to show what a session costs)
 *
 * Each way gets one untimed warm-up call (the pool connects, the master starts), then N timed calls.
 * Two servers are measured:
 *   lab           the lab's sshd on compute1 as it is. Its sessions run root's login shell, and this machine's
 *                 root's ~/.bashrc runs `pyenv init` (Debian's bash sources ~/.bashrc for ssh commands), which costs
 *                 about as much as everything else together, for every method alike: measured and reported.
 *   plain-shell   our own sshd in compute1's namespace (port 2292) with `SetEnv SHLVL=1`, so bash skips ~/.bashrc:
 *                 what a host whose root shell starts fast looks like. Same methods, same key, same command.
 *
 * Writes bench/results/ssh-pool.json. Needs the lab (sshd hosts).   npx tsx bench/ssh-pool.ts [--n 100]
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { textCommand } from '../src/core/remote/command';
import { run } from '../src/core/remote/exec';
import { SshPool } from '../src/core/remote/pool';
import { SshConfigResolver } from '../src/core/remote/ssh-config';
import { OwnSshd } from '../test/integration/remote/lab-ssh';
import { labEnv, repoRoot } from '../test/support/lab';

const exec = promisify(execFile);

interface Way {
  totalMs: number;
  perCommandMs: number;
}

async function timeN(n: number, one: () => Promise<unknown>): Promise<Way> {
  await one(); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await one();
  const totalMs = performance.now() - t0;
  return { totalMs: Math.round(totalMs), perCommandMs: Math.round((totalMs / n) * 10) / 10 };
}

async function measure(n: number, configFile: string, alias: string, tmp: string, sshdEnv = '') {
  const resolver = new SshConfigResolver({ configFile, env: {} });
  const pool = new SshPool({ resolve: (a) => resolver.resolve(a) });
  try {
    const poolWay = await timeN(n, () => run(pool, alias, textCommand(['true'])));
    // for the record: the same pool with a channel (sshd session + login shell + watchdog) per command
    const channelPool = new SshPool({ resolve: (a) => resolver.resolve(a), shellWorkers: 0 });
    const channelWay = await timeN(n, () => run(channelPool, alias, textCommand(['true']))).finally(() => channelPool.dispose());
    const cm = ['-F', configFile, '-o', 'ControlMaster=auto', '-o', `ControlPath=${join(tmp, 'cm-%C')}`, '-o', 'ControlPersist=120'];
    const cmWay = await timeN(n, () => exec('ssh', [...cm, alias, 'true']));
    await exec('ssh', [...cm, '-O', 'exit', alias]).catch(() => undefined);
    const plainWay = await timeN(n, () => exec('ssh', ['-F', configFile, alias, 'true']));
    // the remote login shell's own start (the part no client can avoid), measured on the host
    const shell = await run(pool, alias, textCommand(['sh', '-c',
      `a=$(date +%s%N); env -i SSH_CLIENT="1 2 3" HOME="$HOME" PATH=/usr/bin:/bin ${sshdEnv} "\${SHELL:-/bin/sh}" -c true; b=$(date +%s%N); echo $(( (b - a) / 1000000 ))`]));
    return {
      pool: poolWay,
      poolChannelPerCommand: channelWay,
      controlmaster: cmWay,
      plain: plainWay,
      /** What every new SSH session pays on this host before the command runs (the user's login shell start). */
      remoteLoginShellStartMs: Number(shell.value.trim()),
      ratios: {
        controlmasterOverPool: Math.round((cmWay.totalMs / poolWay.totalMs) * 10) / 10,
        plainOverPool: Math.round((plainWay.totalMs / poolWay.totalMs) * 10) / 10,
        controlmasterOverPoolChannelPerCommand: Math.round((cmWay.totalMs / channelWay.totalMs) * 10) / 10,
      },
    };
  } finally {
    pool.dispose();
  }
}

async function main(): Promise<void> {
  const nArg = process.argv.indexOf('--n');
  const n = nArg > 0 ? Number(process.argv[nArg + 1]) : 100;
  const lab = labEnv();
  const labConfig = lab.LAB_SSH_CONFIG;
  const tmp = mkdtempSync(join(tmpdir(), 'ost-bench-ssh-'));
  const own = new OwnSshd('compute1', '198.18.0.11', 2292, ['SetEnv SHLVL=1']);
  try {
    const load0 = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
    console.log(`ssh-pool: ${n} sequential commands per way to compute1 (load average ${load0})`);
    const labResult = await measure(n, labConfig, 'compute1', tmp);
    console.log('lab sshd:', JSON.stringify(labResult));

    await own.start();
    const kh = join(tmp, 'known_hosts');
    const key = readFileSync(lab.LAB_KNOWN_HOSTS, 'utf8').split('\n').find((l) => l.startsWith('compute1,'))!.split(' ').slice(1).join(' ');
    writeFileSync(kh, `[198.18.0.11]:2292 ${key}\n`);
    const cfg = join(tmp, 'config');
    writeFileSync(cfg, readFileSync(labConfig, 'utf8') + `\nHost compute1-plainshell\n  HostName 198.18.0.11\n  Port 2292\n  User root\n  IdentityFile ${lab.LAB_SSH_KEY}\n  IdentitiesOnly yes\n  UserKnownHostsFile ${kh}\n  StrictHostKeyChecking yes\n  BatchMode yes\n  LogLevel ERROR\n`);
    const plainShell = await measure(n, cfg, 'compute1-plainshell', tmp, 'SHLVL=1');
    console.log('plain-shell sshd:', JSON.stringify(plainShell));

    const out = {
      benchmark: 'ssh-pool',
      date: new Date().toISOString(),
      commands: n,
      command: 'true',
      host: 'compute1',
      loadAverageAtStart: Number(load0),
      loadAverageAtEnd: Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]),
      target: { controlmasterOverPool: 10, plainOverPool: 20 },
      lab: labResult,
      plainShell,
      note: 'ratios are total time of the other way / total time through the pool, same run, same host; '
        + 'lab = the lab sshd (root login shell sources a slow ~/.bashrc each command), plainShell = own sshd with SetEnv SHLVL=1 so bash skips ~/.bashrc',
    };
    const dir = resolve(repoRoot, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'ssh-pool.json'), `${JSON.stringify(out, null, 2)}\n`);
    console.log(`ratios lab: ControlMaster/pool ${labResult.ratios.controlmasterOverPool}x, plain/pool ${labResult.ratios.plainOverPool}x`);
    console.log(`ratios plain-shell: ControlMaster/pool ${plainShell.ratios.controlmasterOverPool}x, plain/pool ${plainShell.ratios.plainOverPool}x`);
  } finally {
    own.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
