/**
 * Diagnosing one instance against correlating its logs alone, on the lab (issue: diagnosis ≤ 1.5× the correlation).
 * Subject: the seed's vm1 (its live migration to compute2 failed). Both ways use the same log plan (the instance's
 * hosts and keys, as the CLI and the extension build it) over one ssh2 pool, warmed by one run of each first; then
 * BENCH_RUNS (default 5) alternating runs, medians compared.
 *   correlate   planInstanceLogs + correlate()                         (what "show the instance's logs" costs)
 *   diagnose    gatherOnCloud (plan, correlation, API reads, host errors, files) + every signature
 * Writes bench/results/diagnose.json.   npx tsx bench/diagnose.ts
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cliHostMapping } from '../src/cli/commands/logs-correlate';
import { BUILTIN_SIGNATURES } from '../src/core/diagnose/catalogue';
import { diagnoseOnCloud } from '../src/core/diagnose/cloud';
import { planInstanceLogs } from '../src/core/journeys/log-plan';
import { correlate } from '../src/core/logs/correlate';
import { PoolHostRunner } from '../src/core/logs/pool-host-runner';
import { SshPool } from '../src/core/remote/pool';
import { SshConfigResolver } from '../src/core/remote/ssh-config';
import { connectLab } from '../test/integration/openstack/lab-cloud';
import { labEnv, repoRoot } from '../test/support/lab';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const env = labEnv();
  const client = await connectLab();
  const resolver = new SshConfigResolver({ configFile: env.LAB_SSH_CONFIG, configFileRequired: true, env: process.env });
  const pool = new SshPool({ resolve: (a) => resolver.resolve(a) });
  const mapping = cliHostMapping(resolver);
  try {
    const vm1 = (await client.compute.listServers({ allProjects: true, name: '^vm1$' })).data[0];
    if (!vm1) throw new Error("the lab has no seed's vm1");
    const correlateOnce = async () => {
      const t0 = performance.now();
      const plan = await planInstanceLogs(client, vm1.id, mapping);
      const res = await correlate(plan.keys, plan.hosts.map((h) => ({ runner: new PoolHostRunner(pool, h.alias, h.alias) })), { sinceMs: plan.sinceMs, instanceName: plan.instanceName });
      return { ms: performance.now() - t0, n: res.entries.length };
    };
    const diagnoseOnce = async () => {
      const t0 = performance.now();
      const d = await diagnoseOnCloud(vm1.id, { client, pool, mapping, signatures: BUILTIN_SIGNATURES });
      return { ms: performance.now() - t0, n: d.findings.length };
    };
    await correlateOnce();
    await diagnoseOnce();
    const c: number[] = [];
    const d: number[] = [];
    let entries = 0;
    let findings = 0;
    for (let i = 0; i < RUNS; i++) {
      const a = await correlateOnce();
      const b = await diagnoseOnce();
      c.push(a.ms);
      d.push(b.ms);
      entries = a.n;
      findings = b.n;
    }
    const result = {
      subject: 'vm1 (seed: failed live migration compute1 → compute2)',
      runs: RUNS,
      correlateMedianMs: Math.round(median(c)),
      diagnoseMedianMs: Math.round(median(d)),
      ratio: Number((median(d) / median(c)).toFixed(2)),
      budget: 1.5,
      entries,
      findings,
      date: new Date().toISOString(),
    };
    console.log(JSON.stringify(result, null, 2));
    mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
    writeFileSync(join(repoRoot, 'bench', 'results', 'diagnose.json'), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    pool.dispose();
    client.dispose();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
