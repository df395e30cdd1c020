/**
 * Listing every server of the lab cloud (all projects, detail) three ways, in one run, same API, same microversion:
 *
 *   osc       `openstack server list --all-projects --long --limit -1 -f json` (python-openstackclient, Debian), a new
 *             process; without `--limit -1` OSC silently stops at Nova's first page of 1000 rows
 *   ours-cli  `openstack-troubleshooter servers --all-projects --json` (this client, esbuild bundle), a new process
 *   ours-lib  `client.compute.listServers({ allProjects: true })` with a token in hand (what the extension does)
 *   curl      the same pages with `curl` and a token: GET /servers/detail?all_tenants=1&limit=1000, following
 *             servers_links — the API's own cost, the limit no client beats
 *
 * Rounds are interleaved and the median is reported, with row counts (all must be equal). Results go to
 * bench/results/openstack-list.json. Needs the lab (`lab/lab up`) and, for a meaningful size, `lab/lab seed-bulk 2000`.
 *
 *   npx tsx bench/openstack-list.ts [--rounds 3]
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';
import { parse, stringify } from 'yaml';
import { OpenStackClient } from '../src/core/openstack/client';
import { loadCloudConfig } from '../src/core/openstack/clouds-config';
import { nextLink } from '../src/core/openstack/parse';
import { labEnv, repoRoot } from '../test/support/lab';

const run = promisify(execFile);
const MAX_BUFFER = 512 * 1024 * 1024;

interface Sample {
  ms: number;
  rows: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function timed(fn: () => Promise<number>): Promise<Sample> {
  const t0 = performance.now();
  const rows = await fn();
  return { ms: performance.now() - t0, rows };
}

async function main(): Promise<void> {
  const roundsArg = process.argv.indexOf('--rounds');
  const rounds = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 3;
  const lab = labEnv();
  const tmp = mkdtempSync(join(tmpdir(), 'ost-bench-'));
  // The lab's clouds.yaml with a generous api_timeout for every client (a 1000-server page is slow on a busy lab);
  // OSC and this client both honour it.
  const clouds = parse(readFileSync(lab.OS_CLIENT_CONFIG_FILE, 'utf8')) as { clouds: Record<string, Record<string, unknown>> };
  for (const c of Object.values(clouds.clouds)) c.api_timeout = 600;
  const configFile = join(tmp, 'clouds.yaml');
  writeFileSync(configFile, stringify(clouds));
  const cloud = loadCloudConfig('lab', { env: { OS_CLIENT_CONFIG_FILE: configFile } });
  const mv = cloud.computeApiVersion ?? '2.92';
  const childEnv = { ...process.env, OS_CLIENT_CONFIG_FILE: configFile, OS_CLOUD: 'lab' };

  // Our CLI as it ships: one esbuild bundle run by node.
  const cliBundle = join(tmp, 'cli.js');
  await esbuild.build({
    entryPoints: [join(repoRoot, 'src/cli/main.ts')],
    outfile: cliBundle,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode', 'cpu-features', './crypto/build/Release/sshcrypto.node'],
    logLevel: 'error',
  });

  const client = await OpenStackClient.connect(cloud);
  const token = (await client.auth.token()).value;
  const computeUrl = client.compute.client.baseUrl.replace(/\/+$/, '');

  const osc = () =>
    timed(async () => {
      const { stdout } = await run('/usr/bin/openstack', ['server', 'list', '--all-projects', '--long', '--limit', '-1', '-f', 'json'], { env: childEnv, maxBuffer: MAX_BUFFER });
      return (JSON.parse(stdout) as unknown[]).length;
    });
  const oursCli = () =>
    timed(async () => {
      const { stdout } = await run(process.execPath, [cliBundle, 'servers', '--cloud', 'lab', '--all-projects', '--json'], { env: childEnv, cwd: repoRoot, maxBuffer: MAX_BUFFER });
      return (JSON.parse(stdout) as unknown[]).length;
    });
  const oursLib = () =>
    timed(async () => {
      const { data } = await client.compute.listServers({ allProjects: true });
      return data.length;
    });
  const curl = () =>
    timed(async () => {
      let url: string | undefined = `${computeUrl}/servers/detail?all_tenants=1&limit=1000`;
      let rows = 0;
      while (url) {
        const { stdout } = await run(
          'curl',
          ['-sS', '--fail', '-H', `X-Auth-Token: ${token}`, '-H', `OpenStack-API-Version: compute ${mv}`, '-H', 'Accept: application/json', url],
          { maxBuffer: MAX_BUFFER },
        );
        const body = JSON.parse(stdout) as { servers: unknown[] };
        rows += body.servers.length;
        const next = nextLink(body, 'servers_links');
        // Same as the client: keep our endpoint, take the next link's query.
        url = next && body.servers.length ? `${computeUrl}/servers/detail${new URL(next).search}` : undefined;
      }
      return rows;
    });

  const ways = { osc, 'ours-cli': oursCli, 'ours-lib': oursLib, curl } as const;
  const samples: Record<keyof typeof ways, Sample[]> = { osc: [], 'ours-cli': [], 'ours-lib': [], curl: [] };
  // One warm-up of each (caches, keystone, python imports), not counted.
  for (const fn of Object.values(ways)) await fn();
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(ways) as [keyof typeof ways, () => Promise<Sample>][]) {
      const s = await fn();
      samples[name].push(s);
      console.log(`round ${r + 1} ${name.padEnd(8)} ${(s.ms / 1000).toFixed(2)} s  ${s.rows} rows`);
    }
  }
  client.dispose();
  rmSync(tmp, { recursive: true, force: true });

  const med = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v.map((s) => s.ms))])) as Record<keyof typeof ways, number>;
  const rows = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, [...new Set(v.map((s) => s.rows))]])) as Record<keyof typeof ways, number[]>;
  const ratios = {
    oscOverOursCli: med.osc / med['ours-cli'],
    oursCliOverCurl: med['ours-cli'] / med.curl,
    oursLibOverCurl: med['ours-lib'] / med.curl,
  };
  const sameRows = new Set(Object.values(rows).flat()).size === 1;
  const result = {
    date: new Date().toISOString(),
    cloud: 'lab',
    microversion: mv,
    rounds,
    servers: rows.curl,
    medianMs: Object.fromEntries(Object.entries(med).map(([k, v]) => [k, Math.round(v)])),
    samplesMs: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, v.map((s) => Math.round(s.ms))])),
    rows,
    sameRows,
    ratios: Object.fromEntries(Object.entries(ratios).map(([k, v]) => [k, Number(v.toFixed(2))])),
    targets: { oscOverOursCliAtLeast: 3, oursOverCurlAtMost: 1.3 },
    met: { faster3xThanOsc: ratios.oscOverOursCli >= 3, within1_3xOfCurl: ratios.oursLibOverCurl <= 1.3 && ratios.oursCliOverCurl <= 1.3 },
  };
  console.log('');
  console.log(`servers: ${rows.curl.join('/')} (same row count everywhere: ${sameRows})`);
  console.log(`median: osc ${(med.osc / 1000).toFixed(2)} s, ours-cli ${(med['ours-cli'] / 1000).toFixed(2)} s, ours-lib ${(med['ours-lib'] / 1000).toFixed(2)} s, curl ${(med.curl / 1000).toFixed(2)} s`);
  console.log(`osc / ours-cli = ${ratios.oscOverOursCli.toFixed(2)}x (target >= 3)`);
  console.log(`ours-cli / curl = ${ratios.oursCliOverCurl.toFixed(2)}x, ours-lib / curl = ${ratios.oursLibOverCurl.toFixed(2)}x (target <= 1.3)`);
  const out = resolve(repoRoot, 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'openstack-list.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log('written bench/results/openstack-list.json');
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
