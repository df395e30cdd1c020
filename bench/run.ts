/**
 * The benchmark runner: runs every bench/*.ts except itself, one after the other, each in its own Node process
 * (`tsx bench/<name>.ts`), and prints a table of what ran, how long it took and how it ended. Benchmarks write
 * their own numbers (as ratios against a baseline measured in the same run) to bench/results/<name>.json.
 * Not part of pass/fail: this runner exits 0 even when a benchmark fails, unless --strict.
 *
 *   npx tsx bench/run.ts                 all benchmarks
 *   npx tsx bench/run.ts openstack-list  only those whose file name contains a filter
 *   npx tsx bench/run.ts --strict        exit 1 when a benchmark fails (for a benchmark's own development)
 *
 * Env: BENCH_TIMEOUT_S (default 900) per benchmark.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';

const benchDir = __dirname;
const args = process.argv.slice(2);
const strict = args.includes('--strict');
const filters = args.filter((a) => !a.startsWith('--'));
const timeoutS = Number(process.env.BENCH_TIMEOUT_S ?? 900);

interface Outcome {
  name: string;
  seconds: number;
  result: string;
}

function runOne(file: string): Promise<Outcome> {
  const name = basename(file, '.ts');
  const t0 = Date.now();
  return new Promise((resolve) => {
    console.log(`\n==== bench: ${name} ====`);
    const tsx = join(benchDir, '..', 'node_modules', 'tsx', 'dist', 'cli.mjs');
    const child = spawn(process.execPath, [tsx, file], { stdio: ['ignore', 'inherit', 'inherit'], cwd: join(benchDir, '..') });
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutS * 1000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const result = code === 0 ? 'ok' : signal ? `stopped (${signal}${signal === 'SIGTERM' ? `, over ${timeoutS} s` : ''})` : `failed (exit ${code})`;
      resolve({ name, seconds: (Date.now() - t0) / 1000, result });
    });
  });
}

async function main(): Promise<number> {
  const self = basename(__filename);
  const files = readdirSync(benchDir)
    .filter((f) => f.endsWith('.ts') && f !== self && !f.endsWith('.d.ts'))
    .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
    .sort();
  if (files.length === 0) {
    console.log('bench: no benchmarks to run' + (filters.length ? ` matching ${filters.join(', ')}` : ''));
    return 0;
  }
  const outcomes: Outcome[] = [];
  for (const f of files) outcomes.push(await runOne(join(benchDir, f)));
  console.log('\n==== bench summary (not part of pass/fail) ====');
  for (const o of outcomes) console.log(`${o.name.padEnd(32)} ${o.seconds.toFixed(1).padStart(8)} s  ${o.result}`);
  console.log('results: bench/results/');
  return strict && outcomes.some((o) => o.result !== 'ok') ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench runner: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(strict ? 1 : 0);
  },
);
