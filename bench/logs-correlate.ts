/**
 * One request id across the four lab hosts, each with a large nova-compute log (BENCH_LOG_MB per host, default
 * 1024 = 1 GiB), made on the host by replaying the real lines of the shared fixture (RHEL-OSP nova-compute.log
 * of a live migration) with new timestamps; the request's lines are sprinkled through it. Files live in
 * /var/log/bench/ of each host's own /var/log view and are deleted at the end. Files already there from an earlier run
 * with the same size, key and spacing (BENCH_KEEP_DATA=1 keeps them) are reused instead of generated again.
 *
 * Measured in one run (median of BENCH_RUNS, default 3), page cache warm for every way:
 *   ours            correlate() over the ssh2 pool (a new pool: connect and the first login shell per host included),
 *                   all hosts in parallel, merged
 *   ours-warm       the same with the pool already connected (the extension's second query): the search runs in a
 *                   started shell worker (src/core/remote/worker.ts), no new session or login shell
 *   cold-connect, cold-first-command   where a cold query's extra time goes: a new pool's four connects at once, then
 *                   the first command on each host (a shell worker starts: sshd session + the login shell + one probe)
 *   host-grep       each host's own `LC_ALL=C grep -F KEY FILE` timed on that host alone; the slowest one
 *   host-grep-par   the four hosts' own greps started at the same time (this machine has 2 cores shared by all
 *                   four "hosts", so this is the fair floor for any parallel search here)
 *   ssh-loop        `for h in hosts; do ssh -F .lab/ssh/config $h grep -F KEY FILE; done` (OpenSSH, sequential)
 * and our side's peak RSS (process maxRSS, and the RSS sampled during `ours`).
 *
 * Writes bench/results/logs-correlate.json.   BENCH_LOG_MB=64 npx tsx bench/logs-correlate.ts
 *
 * `--local` (no lab needed): the same four "hosts" as folders on this machine (<tmp>/<host>/var/log/bench), searched
 * through LocalHostRunner (offline mode: the same search script, no SSH); baselines are local greps. It isolates
 * the cost of our side (script, parsing, merge) from SSH. Writes bench/results/logs-correlate-local.json.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { correlate } from '../src/core/logs/correlate';
import { offlineHosts } from '../src/core/logs/offline';
import { PoolHostRunner } from '../src/core/logs/pool-host-runner';
import { SshPool } from '../src/core/remote/pool';
import { SshConfigResolver } from '../src/core/remote/ssh-config';
import { labEnv, repoRoot, sharedFixtures } from '../test/support/lab';

const exec = promisify(execFile);
const HOSTS = ['controller', 'compute1', 'compute2', 'network1'];
const MB = Number(process.env.BENCH_LOG_MB ?? 1024);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const KEY = 'req-b3c4e5f6-0718-4293-a4b5-c6d7e8f90a1b';
const DIR = '/var/log/bench';
const FILE = `${DIR}/nova-compute.log`;
const MATCHES_PER_HOST = 25;
/** BENCH_KEEP_DATA=1: leave the generated files on the hosts (the next run reuses them). Default: delete them. */
const KEEP_DATA = process.env.BENCH_KEEP_DATA === '1';

const LOCAL = process.argv.includes('--local');
const env = LOCAL ? {} as Record<string, string> : labEnv();
const sshConfig = env.LAB_SSH_CONFIG;

/** OpenSSH with one retry: under load the lab's sshd sometimes drops a session ("Broken pipe"). */
async function ssh(host: string, script: string, input?: string, ...args: string[]): Promise<string> {
  try {
    return await sshOnce(host, script, input, ...args);
  } catch {
    return sshOnce(host, script, input, ...args);
  }
}

function sshOnce(host: string, script: string, input?: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const quoted = ['sh', '-c', script, 'sh', ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const child = spawn('ssh', ['-F', sshConfig, host, quoted], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`ssh ${host}: exit ${code}: ${err.trim()}`))));
    child.stdin.end(input ?? '');
  });
}

/** The seed: the fixture's lines without their timestamps (continuation lines as they are). */
function seed(): string {
  const dir = sharedFixtures('real-logs', 'live-migration-two-computes');
  if (!dir) throw new Error('bench needs ../shared/fixtures/real-logs');
  const text = readFileSync(join(dir, 'hp-ms-01-c29', 'var', 'log', 'nova', 'nova-compute.log'), 'utf8');
  return text
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => (/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} /.test(l) ? `T${l.slice(23)}` : `C${l}`))
    .join('\n');
}

/** awk on the host: replays the seed with 1 ms steps until `bytes`, with the key's lines spread evenly. */
const GENERATE = `
set -e
mkdir -p ${DIR}
rm -f ${DIR}/params
cat > ${DIR}/seed.txt
awk -v target="$1" -v key="$2" -v every="$3" '
  { s[n++] = $0 }
  END {
    ms = 0; bytes = 0; k = 0
    while (bytes < target) {
      for (i = 0; i < n && bytes < target; i++) {
        ms++
        t = ms; msec = t % 1000; t = int(t / 1000); sec = t % 60; t = int(t / 60); min = t % 60; t = int(t / 60); hr = (6 + t) % 24
        ts = sprintf("2026-11-25 %02d:%02d:%02d.%03d", hr, min, sec, msec)
        if (substr(s[i], 1, 1) == "T") line = ts substr(s[i], 2); else line = substr(s[i], 2)
        if (++k % every == 0) line = ts " 4242 INFO nova.compute.manager [None " key " - - - - - -] [instance: 08d03d45-9ee9-4c5e-a9d0-b8a195ab7d83] Live migration step " k
        print line
        bytes += length(line) + 1
      }
    }
  }' ${DIR}/seed.txt > ${FILE}
rm -f ${DIR}/seed.txt
printf '%s %s %s' "$1" "$2" "$3" | cksum > ${DIR}/params
wc -c < ${FILE}
`;

/** Prints the file's size when an earlier run left it with the same parameters (a checksum: the key itself must not be
 * in a searched file), nothing otherwise. */
const REUSABLE = `[ -f ${FILE} ] && [ "$(cat ${DIR}/params 2>/dev/null)" = "$(printf '%s %s %s' "$1" "$2" "$3" | cksum)" ] && wc -c < ${FILE} || true`;

async function generate(): Promise<number[]> {
  const text = seed();
  const bytes = MB * 1024 * 1024;
  const avgLine = text.length / text.split('\n').length;
  const every = Math.max(10, Math.floor(bytes / avgLine / MATCHES_PER_HOST));
  return Promise.all(HOSTS.map(async (h) => {
    const params = [String(bytes), KEY, String(every)];
    const kept = Number((await ssh(h, REUSABLE, undefined, ...params)).trim());
    if (kept > 0) {
      console.log(`${h}: reusing ${FILE} (${(kept / 1048576).toFixed(0)} MiB) from an earlier run`);
      return kept;
    }
    return Number((await ssh(h, GENERATE, text, ...params)).trim());
  }));
}

const TIMED_GREP = `s=$(date +%s%N); LC_ALL=C grep -F -e "$1" -- "$2" | wc -l > /dev/null; e=$(date +%s%N); echo $(( (e - s) / 1000000 ))`;

async function hostGrep(host: string): Promise<number> {
  return Number((await ssh(host, TIMED_GREP, undefined, KEY, FILE)).trim());
}

async function timed<T>(f: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const v = await f();
  return [performance.now() - t0, v];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function ours(pool: SshPool): Promise<number> {
  const r = await correlate([{ kind: 'request', value: KEY }], HOSTS.map((h) => ({ runner: new PoolHostRunner(pool, h) })), {
    settings: { dirs: [DIR] },
  });
  if (!r.hosts.every((h) => h.ok)) throw new Error(JSON.stringify(r.hosts.filter((h) => !h.ok)));
  return r.entries.length;
}

async function main() {
  const resolver = new SshConfigResolver({ configFile: sshConfig, env: {} });
  console.log(`generating ${MB} MiB of replayed nova-compute lines on ${HOSTS.join(', ')}…`);
  const [genMs, sizes] = await timed(generate);
  console.log(`generated ${sizes.map((s) => (s / 1048576).toFixed(0)).join(' + ')} MiB in ${(genMs / 1000).toFixed(1)} s`);
  try {
    // warm the page cache
    await Promise.all(HOSTS.map((h) => hostGrep(h)));
    const results = { ours: [] as number[], oursWarm: [] as number[], hostGrepMax: [] as number[], hostGrepPar: [] as number[], hostGrepParSync: [] as number[], sshLoop: [] as number[], poolTrueParallel: [] as number[], coldConnect: [] as number[], coldFirstCommand: [] as number[], oursWarmCpu: [] as number[] };
    let rssPeak = 0;
    let entries = 0;
    const warmPool = new SshPool({ resolve: (a) => resolver.resolve(a) });
    await ours(warmPool);
    for (let run = 0; run < RUNS; run++) {
      // host's own grep, one host at a time
      const each: number[] = [];
      for (const h of HOSTS) each.push(await hostGrep(h));
      results.hostGrepMax.push(Math.max(...each));
      // all hosts' greps at once (wall on the slowest host, as measured on the hosts)
      const par = await Promise.all(HOSTS.map((h) => hostGrep(h)));
      results.hostGrepPar.push(Math.max(...par));
      // The same four greps started at one instant through connections already open (no OpenSSH process and login
      // shell per host, whose varying start-up staggers the greps above so that they overlap less): the grep time
      // each host really needs while all four run, as in any parallel search. Timed on the hosts.
      const sync = await Promise.all(HOSTS.map(async (h) => {
        let ms = NaN;
        await new PoolHostRunner(warmPool, h).stream(['sh', '-c', TIMED_GREP, 'sh', KEY, FILE], { onLine: (l) => (ms = Number(l.trim())) });
        return ms;
      }));
      results.hostGrepParSync.push(Math.max(...sync));
      // ours over the warm pool right after, so the pair sees the same load
      const cpu0 = process.cpuUsage();
      const [wms] = await timed(() => ours(warmPool));
      const cpu = process.cpuUsage(cpu0);
      results.oursWarm.push(wms);
      results.oursWarmCpu.push((cpu.user + cpu.system) / 1000);
      // sequential OpenSSH loop
      const [loopMs] = await timed(() => exec('sh', ['-c', `for h in ${HOSTS.join(' ')}; do ssh -F "$1" "$h" grep -F -e "$2" -- "$3"; done > /dev/null`, 'sh', sshConfig, KEY, FILE], { maxBuffer: 1 << 26 }));
      results.sshLoop.push(loopMs);
      // ours, cold pool
      const pool = new SshPool({ resolve: (a) => resolver.resolve(a) });
      const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 20);
      const [ms, n] = await timed(() => ours(pool));
      clearInterval(sampler);
      pool.dispose();
      results.ours.push(ms);
      entries = n;
      // The fixed cost of one command per host on these hosts: `true` on all four at once over the warm pool.
      // (Every command here starts root's login shell, whose ~/.bashrc runs `pyenv init`: see bench/ssh-pool.ts.)
      const [tms] = await timed(() => Promise.all(HOSTS.map((h) => new PoolHostRunner(warmPool, h).run(['true']))));
      results.poolTrueParallel.push(tms);
      // A cold query's fixed part, measured apart: four connects at once, then the first command on each host.
      const fresh = new SshPool({ resolve: (a) => resolver.resolve(a) });
      const [cms] = await timed(() => Promise.all(HOSTS.map((h) => fresh.connection(h))));
      const [fms] = await timed(() => Promise.all(HOSTS.map((h) => new PoolHostRunner(fresh, h).run(['true']))));
      fresh.dispose();
      results.coldConnect.push(cms);
      results.coldFirstCommand.push(fms);
      console.log(`run ${run + 1}: ours ${ms.toFixed(0)} ms (warm ${wms.toFixed(0)}, 'true' x4 ${tms.toFixed(0)}; cold: connect ${cms.toFixed(0)} + first command ${fms.toFixed(0)}), host grep max ${Math.max(...each)} ms, parallel ${Math.max(...par)} ms (simultaneous ${Math.max(...sync)} ms), ssh loop ${loopMs.toFixed(0)} ms`);
    }
    warmPool.dispose();
    const m = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, Math.round(median(v))])) as Record<keyof typeof results, number>;
    const out = {
      benchmark: 'logs-correlate',
      date: new Date().toISOString(),
      machine: { cores: (await exec('nproc')).stdout.trim(), note: 'the four lab hosts are network namespaces sharing this machine\'s cores and disk' },
      input: { hosts: HOSTS, mibPerHost: sizes.map((s) => Math.round(s / 1048576)), matchesPerHost: MATCHES_PER_HOST, entriesFound: entries, runs: RUNS },
      medianMs: m,
      ratios: {
        oursVsSlowestHostGrep: +(m.ours / m.hostGrepMax).toFixed(2),
        oursVsParallelHostGreps: +(m.ours / m.hostGrepPar).toFixed(2),
        oursWarmVsParallelHostGreps: +(m.oursWarm / m.hostGrepPar).toFixed(2),
        oursWarmVsSimultaneousHostGreps: +(m.oursWarm / m.hostGrepParSync).toFixed(2),
        // the same ratio taken run by run (each run's ours-warm over that run's simultaneous greps), then the median:
        // both sides of a pair ran seconds apart, so load that comes and goes on this shared machine cancels out
        oursWarmVsSimultaneousHostGrepsPaired: +median(results.oursWarm.map((w, i) => w / results.hostGrepParSync[i])).toFixed(2),
        oursVsSimultaneousHostGreps: +(m.ours / m.hostGrepParSync).toFixed(2),
        oursVsSequentialSshLoop: +(m.ours / m.sshLoop).toFixed(2),
        oursWarmMinusFixedCommandCostVsParallelHostGreps: +((m.oursWarm - m.poolTrueParallel) / m.hostGrepPar).toFixed(2),
        oursWarmVsSlowestHostGrep: +(m.oursWarm / m.hostGrepMax).toFixed(2),
        oursMinusColdStartVsParallelHostGreps: +((m.ours - m.coldConnect - m.coldFirstCommand) / m.hostGrepPar).toFixed(2),
      },
      notes: [
        'host-grep times are measured on the hosts (date before/after grep), so they exclude SSH and the login shell;',
        'hostGrepPar starts the four greps through four OpenSSH processes: their login shells take different times, so the greps start staggered and compete less; hostGrepParSync starts them at one instant over open connections (the slowest host\'s grep when all four really run together, as they do in any parallel search);',
        'poolTrueParallel is what starting one command on each of the four hosts at once costs over the warm pool (a started shell worker: no session, no login shell);',
        'oursWarmCpu is the CPU time of our process during ours-warm (SSH decryption, parsing, merge): it comes from the same 2 cores the four greps use;',
        'coldConnect + coldFirstCommand is the part of a cold query spent before any grep runs: four ssh handshakes, then per host an sshd session and root\'s login shell (~/.bashrc runs pyenv init on these hosts) to start the shell worker;',
        'ours includes detection (in the same command as the search), parsing, key expansion check and the merge.',
      ],
      peakRssMiB: { sampledDuringOurs: Math.round(rssPeak / 1048576), processMaxRss: Math.round(process.resourceUsage().maxRSS / 1024) },
      targets: { ratioVsSlowestHostGrep: 1.2, rssMiB: 150 },
      allRunsMs: results,
    };
    mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
    writeFileSync(join(repoRoot, 'bench', 'results', 'logs-correlate.json'), `${JSON.stringify(out, null, 2)}\n`);
    console.log(JSON.stringify({ medianMs: out.medianMs, ratios: out.ratios, peakRssMiB: out.peakRssMiB }, null, 2));
  } finally {
    if (KEEP_DATA) console.log(`kept ${FILE} on ${HOSTS.join(', ')} (BENCH_KEEP_DATA=1)`);
    else await Promise.all(HOSTS.map((h) => ssh(h, `rm -rf ${DIR}`).catch((e: Error) => console.error(e.message))));
  }
}

/** --local: folders instead of hosts, local processes instead of ssh. */
async function mainLocal() {
  const root = mkdtempSync(join(tmpdir(), 'ost-bench-logs-'));
  const text = seed();
  const bytes = MB * 1024 * 1024;
  const avgLine = text.length / text.split('\n').length;
  const every = Math.max(10, Math.floor(bytes / avgLine / MATCHES_PER_HOST));
  const files = HOSTS.map((h) => join(root, h, 'var', 'log', 'bench', 'nova-compute.log'));
  const local = (script: string, input: string | undefined, ...args: string[]) =>
    new Promise<string>((resolve, reject) => {
      const child = spawn('sh', ['-c', script, 'sh', ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}`))));
      child.stdin.end(input ?? '');
    });
  try {
    console.log(`generating ${MB} MiB per host folder under ${root}…`);
    const [genMs] = await timed(() =>
      Promise.all(HOSTS.map((h) => local(GENERATE.replace(/\/var\/log\/bench/g, join(root, h, 'var', 'log', 'bench')), text, String(bytes), KEY, String(every)))),
    );
    console.log(`generated in ${(genMs / 1000).toFixed(1)} s`);
    const grepOne = async (f: string) => Number((await local(TIMED_GREP, undefined, KEY, f)).trim());
    await Promise.all(files.map(grepOne));
    const results = { ours: [] as number[], grepMax: [] as number[], grepPar: [] as number[], grepSeq: [] as number[] };
    let rssPeak = 0;
    let entries = 0;
    for (let run = 0; run < RUNS; run++) {
      const each: number[] = [];
      for (const f of files) each.push(await grepOne(f));
      results.grepMax.push(Math.max(...each));
      results.grepSeq.push(each.reduce((a, b) => a + b, 0));
      const [parMs] = await timed(() => Promise.all(files.map(grepOne)));
      results.grepPar.push(parMs);
      const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 20);
      const [ms, r] = await timed(() => correlate([{ kind: 'request', value: KEY }], offlineHosts(root), { settings: { dirs: ['/var/log/bench'] } }));
      clearInterval(sampler);
      entries = r.entries.length;
      results.ours.push(ms);
      console.log(`run ${run + 1}: ours ${ms.toFixed(0)} ms, grep slowest ${Math.max(...each)} ms, 4 greps in parallel ${parMs.toFixed(0)} ms, sequential ${results.grepSeq.at(-1)} ms`);
    }
    const m = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, Math.round(median(v))])) as Record<keyof typeof results, number>;
    const out = {
      benchmark: 'logs-correlate --local',
      date: new Date().toISOString(),
      machine: { cores: (await exec('nproc')).stdout.trim(), note: 'four folders on one machine, no SSH: our side (search script, parse, merge) against plain grep' },
      input: { hosts: HOSTS, mibPerHost: MB, matchesPerHost: MATCHES_PER_HOST, entriesFound: entries, runs: RUNS },
      medianMs: m,
      ratios: { oursVsSlowestGrep: +(m.ours / m.grepMax).toFixed(2), oursVsParallelGreps: +(m.ours / m.grepPar).toFixed(2), oursVsSequentialGreps: +(m.ours / m.grepSeq).toFixed(2) },
      peakRssMiB: { sampledDuringOurs: Math.round(rssPeak / 1048576), processMaxRss: Math.round(process.resourceUsage().maxRSS / 1024) },
      allRunsMs: results,
    };
    mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
    writeFileSync(join(repoRoot, 'bench', 'results', 'logs-correlate-local.json'), `${JSON.stringify(out, null, 2)}\n`);
    console.log(JSON.stringify({ medianMs: out.medianMs, ratios: out.ratios, peakRssMiB: out.peakRssMiB }, null, 2));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

(LOCAL ? mainLocal() : main()).then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
