import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_SIGNATURES } from '../../../src/core/diagnose/catalogue';
import { diagnose } from '../../../src/core/diagnose/engine';
import { gatherOffline } from '../../../src/core/diagnose/gather';
import { offlineHosts } from '../../../src/core/logs/offline';
import { runCli } from '../../support/cli';
import { sharedFixtures } from '../../support/lab';

const cli = (args: string[]) => runCli(args);

/**
 * Offline diagnosis over real logs nobody here wrote: two compute hosts of a RHEL-OSP cloud captured while its
 * operators debugged live migrations (../shared/fixtures/real-logs; skipped, saying so, outside this workplace).
 */
describe('diagnose offline: real logs of a cloud debugging live migrations', function () {
  this.timeout(60_000);
  const dir = sharedFixtures('real-logs', 'live-migration-two-computes');
  before(function () {
    if (!dir) {
      console.log('    (skipped: ../shared/fixtures/real-logs is not beside this checkout)');
      this.skip();
    }
  });

  it("finds the folder's failures: migrations to the current host, without shared storage, to an unavailable service; RabbitMQ and the database away", async () => {
    const ev = await gatherOffline(undefined, offlineHosts(dir!));
    const d = await diagnose(ev, BUILTIN_SIGNATURES);
    const ids = d.findings.map((f) => f.signature).sort();
    assert.deepEqual(ids, ['amqp-unreachable', 'database-connection-failed', 'migration-not-shared-storage', 'migration-target-service-unavailable', 'migration-to-current-host']);
    const self = d.findings.find((f) => f.signature === 'migration-to-current-host')!;
    assert.match(self.vars.host, /^hp-ms-01-c29\.moonshot1\.lab\.eng\.rdu\.redhat\.com$/);
    assert.ok(self.evidence.every((e) => e.service === 'nova-conductor' && e.lineNo! > 0 && e.file === '/var/log/nova/nova-conductor.log'));
    const amqp = d.findings.find((f) => f.signature === 'amqp-unreachable')!;
    assert.equal(amqp.vars.amqp, '10.12.27.29:5672');
    assert.equal(amqp.vars.reason, '[Errno 111] ECONNREFUSED');
    // the generic pre-check reading is superseded by the three precise ones
    assert.ok(!ids.includes('migration-precheck-failed'));
  });

  it('one request: only its failure (the pre-check that wanted shared storage)', async () => {
    const ev = await gatherOffline({ kind: 'request', value: 'req-3d2e34e0-ff36-45c4-94c9-218f9c5e5bf6' }, offlineHosts(dir!));
    const d = await diagnose(ev, BUILTIN_SIGNATURES);
    assert.deepEqual(d.findings.map((f) => f.signature), ['migration-not-shared-storage']);
    assert.equal(d.findings[0].vars.host, 'hp-ms-01-c29.moonshot1.lab.eng.rdu.redhat.com');
    assert.match(d.findings[0].cause, /does not share the instance directory .*"Live migration can not be used without shared storage"/);
  });

  it('the CLI: exit 1 with findings (text, --json); exit 0 and what it looked at when nothing matches', async () => {
    const r = await cli(['diagnose', 'req-3d2e34e0-ff36-45c4-94c9-218f9c5e5bf6', '--dir', dir!]);
    assert.equal(r.code, 1, r.err);
    assert.match(r.out, /^Diagnosis of request req-3d2e34e0-ff36-45c4-94c9-218f9c5e5bf6: FAIL/);
    assert.match(r.out, /FAIL {2}Live migration refused: no shared storage and no block migration/);
    assert.match(r.out, /\$ openstack server migrate --live-migration --block-migration <server>/);
    const j = await cli(['diagnose', 'req-3d2e34e0-ff36-45c4-94c9-218f9c5e5bf6', '--dir', dir!, '--json']);
    const report = JSON.parse(j.out) as { kind: string; status: string; findings: { id: string; status: string; evidence: string[] }[] };
    assert.equal(report.kind, 'diagnose');
    assert.equal(report.findings[0].id, 'migration-not-shared-storage');
    assert.match(report.findings[0].evidence[0], /hp-ms-01-c29 nova-conductor \/var\/log\/nova\/nova-conductor\.log: 2015-10-20 13:02:07\.840 2315 WARNING nova\.scheduler\.utils/);
    // a request that succeeded: a live migration the operators later ran through
    const ok = await cli(['diagnose', 'req-5f2adc28-f74b-4d39-8e25-1d7c8c4e1de0', '--dir', dir!]);
    assert.equal(ok.code, 0, ok.out + ok.err);
    assert.match(ok.out, /PASS {2}No known failure signature matched: None of the \d+ signatures matched/);
  });
});

describe('diagnose CLI: usage and bad input', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(join(tmpdir(), 'ost-diag-'));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('no subject and no folder, two subjects, --dir with --cloud: usage errors (exit 2)', async () => {
    assert.equal((await cli(['diagnose'])).code, 2);
    assert.equal((await cli(['diagnose', 'a', 'b', '--dir', tmp])).code, 2);
    const both = await cli(['diagnose', '--dir', tmp, '--cloud', 'x']);
    assert.equal(both.code, 2);
    assert.match(both.err, /--dir or --cloud, not both/);
  });

  it('a missing folder and a broken signature file: clear errors, nothing run', async () => {
    const nf = await cli(['diagnose', '--dir', join(tmp, 'nope')]);
    assert.equal(nf.code, 3);
    assert.match(nf.err, /No such folder/);
    const bad = join(tmp, 'sigs.yaml');
    writeFileSync(bad, 'signatures:\n  - id: x\n    title: X\n    cause: c\n    when:\n      - source: log\n        message: "(unclosed"\n');
    const r = await cli(['diagnose', '--dir', tmp, '--signatures', bad]);
    assert.equal(r.code, 2);
    assert.match(r.err, /sigs\.yaml: signature "x"\.when\[0\]\.message: invalid regular expression/);
  });

  it("a user's signature file adds signatures that match like the built-in ones", async () => {
    const logs = join(tmp, 'host1', 'var', 'log', 'nova');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(logs, { recursive: true });
    // a real line of the shared real logs (nova-cert, Juno): RabbitMQ shut down under the services
    writeFileSync(join(logs, 'nova-compute.log'), '2015-10-20 09:10:58.219 28372 ERROR oslo.messaging._drivers.impl_rabbit [-] AMQP server on 10.12.27.29:5672 is unreachable: [Errno 111] ECONNREFUSED. Trying again in 1 seconds.\n');
    const sigs = join(tmp, 'sigs.yaml');
    writeFileSync(sigs, [
      'signatures:',
      '  - id: amqp-unreachable',
      '    title: Our RabbitMQ cluster is down',
      '    when:',
      '      - source: log',
      "        message: '^AMQP server on (?<amqp>\\S+) is unreachable'",
      "    cause: 'Page the messaging on-call: {amqp} refused.'",
      '    fixes:',
      '      - text: Run the runbook RB-12.',
    ].join('\n'));
    const r = await cli(['diagnose', '--dir', tmp, '--signatures', sigs]);
    assert.equal(r.code, 1, r.err);
    assert.match(r.out, /FAIL {2}Our RabbitMQ cluster is down: Page the messaging on-call: 10\.12\.27\.29:5672 refused\./);
    assert.doesNotMatch(r.out, /RabbitMQ unreachable from a service/, 'the user\'s signature replaces the built-in one of the same id');
  });
});
