import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { instanceComputeLogLines, migrationFailureFromLines, parseComputeLogLines } from '../../../src/core/checks/migration-log';

/**
 * The reason of a live migration that libvirt failed, read from the source's nova-compute.log. The fixture is what
 * the probe's grep printed on the lab's compute1 after a real live migration to compute2 (whose libvirtd does not
 * listen on 16509): nova's instance action showed every event "Success".
 */
describe('checks/migration-log: a live migration failure from nova-compute.log', () => {
  const captured = readFileSync(join(__dirname, '../../fixtures/checks/compute1-live-migration-failure.grep.txt'), 'utf8');

  it('parses the grep output (file, time, level, logger, message without the instance prefix)', () => {
    const lines = parseComputeLogLines(captured);
    assert.equal(lines.length, 3);
    assert.deepEqual(
      lines.map((l) => [l.file, l.level, l.logger]),
      [
        ['/var/log/nova/nova-compute.log', 'ERROR', 'nova.virt.libvirt.driver'],
        ['/var/log/nova/nova-compute.log', 'ERROR', 'nova.virt.libvirt.driver'],
        ['/var/log/nova/nova-compute.log', 'WARNING', 'nova.compute.manager'],
      ],
    );
    assert.match(lines[0].message, /^Live Migration failure: unable to connect to server at 'compute2:16509': Connection refused/);
  });

  it("names libvirt's reason once, with the lines it is read from", () => {
    const f = migrationFailureFromLines('compute1', parseComputeLogLines(captured), new Date('2026-12-06T20:46:30Z'));
    assert.ok(f);
    assert.equal(f.reason, "unable to connect to server at 'compute2:16509': Connection refused");
    assert.deepEqual(f.evidence.map((l) => l.message), ["Live Migration failure: unable to connect to server at 'compute2:16509': Connection refused: libvirt.libvirtError: unable to connect to server at 'compute2:16509': Connection refused", 'Migration operation has aborted']);
  });

  it('ignores failures of earlier migrations of the same instance', () => {
    assert.equal(migrationFailureFromLines('compute1', parseComputeLogLines(captured), new Date('2026-12-08T00:00:00Z')), undefined, 'two days later, whatever the zone the log was written in');
  });

  it('the probe takes the uuid and the log paths as arguments, never inside the script', () => {
    const cmd = instanceComputeLogLines('7633b037-e203-40c3-a2d0-0a870a31a586');
    assert.deepEqual(cmd.argv.slice(0, 2), ['sh', '-c']);
    assert.ok(!cmd.argv[2].includes('7633b037'));
    assert.deepEqual(cmd.argv.slice(3, 5), ['sh', '7633b037-e203-40c3-a2d0-0a870a31a586']);
    assert.throws(() => instanceComputeLogLines('vm1; rm -rf /'), /UUID/);
  });
});
