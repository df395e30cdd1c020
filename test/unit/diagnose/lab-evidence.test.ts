import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILTIN_SIGNATURES } from '../../../src/core/diagnose/catalogue';
import { diagnose } from '../../../src/core/diagnose/engine';
import type { Evidence } from '../../../src/core/diagnose/types';

/**
 * The signatures on evidence recorded from the lab's real failures (test/integration/diagnose/lab-diagnose.test.ts
 * with RECORD_FIXTURES=1): the same conclusions without the lab, so a change to a pattern that breaks one shows here.
 */
const DIR = join(__dirname, '..', '..', 'fixtures', 'diagnose');

interface Recorded extends Omit<Evidence, 'readFile'> {
  files: Record<string, string[] | null>;
}

function load(name: string): Evidence {
  const r = JSON.parse(readFileSync(join(DIR, `${name}.evidence.json`), 'utf8')) as Recorded;
  const { files, ...ev } = r;
  return { ...ev, readFile: async (host, path) => files[`${host}\t${path}`] ?? undefined };
}

const CASES: [fixture: string, signature: string, check: (vars: Record<string, string>, cause: string) => void][] = [
  ['live-migration-target-refused', 'live-migration-target-libvirtd-refused', (v) => assert.deepEqual([v.target, v.port, v.source], ['compute2', '16509', 'compute1'])],
  ['no-allocation-candidates', 'no-allocation-candidates', (v) => assert.match(v.resources, /MEMORY_MB:\d+/)],
  ['requested-host-disabled', 'requested-host-disabled', (v) => assert.deepEqual([v.target, v.reason], ['compute2', 'diagnose test: maintenance'])],
  ['migration-to-current-host', 'migration-to-current-host-scheduler', (v) => assert.match(v.target, /^compute[12]$/)],
  ['hypervisor-type-mismatch', 'migration-hypervisor-type-mismatch', (v) => assert.equal(v.sourcetype, 'QEMU')],
  ['libvirt-connection-lost', 'libvirt-connection-lost', (v, c) => assert.match(c, new RegExp(`^nova-compute on ${v.host} lost its connection to libvirtd`))],
  ['no-valid-host-filter', 'no-valid-host-filter', (v) => assert.equal(v.filter, 'ComputeCapabilitiesFilter')],
  ['port-binding-failed', 'port-binding-failed', (v) => assert.deepEqual([v.host, v.agenthost, v.agent], ['compute2', 'compute2', 'Linux bridge agent'])],
  ['compute-service-down', 'compute-service-down', (v) => assert.match(v.host, /^compute[12]$/)],
  ['live-migration-target-refused-fix', 'live-migration-target-libvirtd-refused', (v) => assert.deepEqual([v.target, v.source], ['compute2', 'compute1'])],
];

describe('diagnose: evidence recorded from the lab\'s real failures', () => {
  for (const [fixture, signature, check] of CASES) {
    it(`${fixture}: ${signature} comes first`, async function () {
      if (!existsSync(join(DIR, `${fixture}.evidence.json`))) assert.fail(`missing fixture ${fixture}: run the integration test with RECORD_FIXTURES=1`);
      const d = await diagnose(load(fixture), BUILTIN_SIGNATURES);
      assert.ok(d.findings.length > 0, `nothing matched; looked at ${d.lookedAt.join('; ')}`);
      assert.equal(d.findings[0].signature, signature, `findings: ${d.findings.map((f) => f.signature).join(', ')}`);
      check(d.findings[0].vars, d.findings[0].cause);
    });
  }
});
