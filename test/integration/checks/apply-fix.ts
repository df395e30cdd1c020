import { strict as assert } from 'node:assert';
import { applyHostPlans, planFixOnHosts } from '../../../src/core/configs/apply-to-hosts';
import { SftpConfigFileStore } from '../../../src/core/configs/remote-store';
import type { OpenStackClient } from '../../../src/core/openstack/client';
import { textCommand } from '../../../src/core/remote/command';
import { run } from '../../../src/core/remote/exec';
import type { SshPool } from '../../../src/core/remote/pool';
import { waitComputeEnabled } from '../openstack/lab-cloud';

/**
 * Applies the config doctor's fix for a quick fix a report names (a readiness check's or a diagnosis's) — and what
 * it makes necessary (TLS without certificates off) — on its host, restarts libvirtd there and waits for nova to use
 * it again; runs `body`; restores the file, removes the backups, restarts libvirtd again and waits for nova.
 */
export async function withFixApplied(pool: SshPool, client: OpenStackClient, qf: { host: string; file: string; rule: string }, body: () => Promise<void>): Promise<void> {
  const store = new SftpConfigFileStore(pool);
  const original = await store.read(qf.host, qf.file);
  assert.ok(original.text !== undefined);
  const sh = (argv: string[]) => run(pool, qf.host, textCommand(argv, { timeoutMs: 120_000 }));
  const backups: string[] = [];
  try {
    for (const code of [qf.rule, 'libvirt/tls-without-certs']) {
      const plans = await planFixOnHosts({ hosts: [qf.host], path: qf.file, code, store, facts: () => ({ libvirtModel: 'listen' as const, novaMigrationScheme: 'tcp' }) });
      if (plans[0].status === 'clean') continue;
      const [r] = await applyHostPlans(plans, store);
      assert.equal(r.error, undefined);
      backups.push(...r.written.map((w) => w.backupPath).filter((p): p is string => !!p));
    }
    await sh(['lab-service', 'restart', 'libvirtd']);
    await waitComputeEnabled(client, qf.host);
    await body();
  } finally {
    const cur = await store.read(qf.host, qf.file);
    await store.write(qf.host, qf.file, original.text!, cur.version);
    for (const b of backups) await sh(['rm', '-f', '--', b]);
    await sh(['lab-service', 'restart', 'libvirtd']);
    await waitComputeEnabled(client, qf.host);
  }
}
