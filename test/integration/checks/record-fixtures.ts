/**
 * Records real facts from the lab into test/fixtures/checks/*.facts.json for the unit tests of the evaluations.
 * Run by hand when the lab is up: `LAB_SKIP_UP=1 npx tsx test/integration/checks/record-fixtures.ts [name…]`.
 * Facts with an unreachable host are not saved.
 * Every string is passed through `redact` (nova.conf holds service passwords and the transport URL).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkApiOf, hostExecOf } from '../../../src/core/checks/adapters';
import { floatingIpReport, gatherFloatingIp } from '../../../src/core/checks/floating-ip';
import { gatherContext } from '../../../src/core/checks/gather';
import { gatherLiveMigration } from '../../../src/core/checks/live-migration/gather';
import { gatherMysql } from '../../../src/core/checks/mysql-limits';
import { gatherVxlan } from '../../../src/core/checks/vxlan';
import { redact } from '../../../src/core/log';
import { SshPool } from '../../../src/core/remote/pool';
import { SshConfigResolver } from '../../../src/core/remote/ssh-config';
import { labEnv, repoRoot } from '../../support/lab';
import { connectLab } from '../openstack/lab-cloud';

function scrub(v: unknown): unknown {
  // No secrets (redact) and no paths of this machine (the lab lives under the repository).
  if (typeof v === 'string') return v.split('\n').map(redact).join('\n').replaceAll(repoRoot, '/srv/lab');
  if (Array.isArray(v)) return v.map(scrub);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, scrub(x)]));
  return v;
}

function save(name: string, facts: unknown): void {
  const unreachable = (facts as { unreachable?: { host: string; reason: string }[] }).unreachable ?? [];
  if (unreachable.length) {
    console.error(`not saving ${name}: ${unreachable.map((u) => `${u.host}: ${u.reason}`).join('; ')}`);
    return;
  }
  const file = join(repoRoot, 'test', 'fixtures', 'checks', `${name}.facts.json`);
  writeFileSync(file, `${JSON.stringify(scrub(facts), null, 1)}\n`);
  console.log(`wrote ${file}`);
}

async function main(): Promise<void> {
  const env = labEnv();
  const resolver = new SshConfigResolver({ configFile: env.LAB_SSH_CONFIG });
  const pool = new SshPool({ resolve: (a) => resolver.resolve(a) });
  const os = await connectLab();
  try {
    const api = checkApiOf(os);
    const ctx = gatherContext(hostExecOf(pool, 'lab'));
    const only = process.argv.slice(2);
    const want = (n: string) => only.length === 0 || only.includes(n);
    if (want('live-migration-compute1-compute2')) save('live-migration-compute1-compute2', (await gatherLiveMigration(api, ctx, { source: 'compute1', targets: ['compute2'] }))[0]);
    if (want('live-migration-compute2-compute1')) save('live-migration-compute2-compute1', (await gatherLiveMigration(api, ctx, { source: 'compute2', targets: ['compute1'] }))[0]);
    if (want('mysql-controller')) save('mysql-controller', await gatherMysql(ctx, 'controller'));
    if (want('vxlan-lab')) save('vxlan-lab', await gatherVxlan(api, ctx));
    const fip = (await os.network.listFloatingIps()).data.find((f) => f.portId);
    if (fip && want('floating-ip-lab')) {
      const f = await gatherFloatingIp(api, ctx, fip.floatingIpAddress);
      console.log(floatingIpReport(f).status);
      save('floating-ip-lab', f);
    }
  } finally {
    pool.dispose();
    os.dispose();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
