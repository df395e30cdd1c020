import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CliIo } from '../../../src/cli/command';
import { checkCommand } from '../../../src/cli/commands/check';
import { cliUsageOf, inputsComplete } from '../../../src/core/checks/definition';
import { CHECKS, checkById } from '../../../src/core/checks/registry';
import { nullLogger } from '../../../src/core/log';

interface Manifest {
  contributes: { commands: { command: string; title: string; category?: string }[] };
}

const root = join(__dirname, '..', '..', '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Manifest;
const checkCommands = manifest.contributes.commands.filter((c) => c.command.startsWith('openstack.check.') && c.command !== 'openstack.check.exportReport');

describe('checks: one registry for the extension, the CLI and the manifest', () => {
  it('package.json contributes exactly the registry\'s check commands, with the registry\'s titles', () => {
    assert.deepEqual(
      checkCommands.map((c) => [c.command, c.title, c.category]).sort(),
      CHECKS.map((c) => [c.command, c.title, 'OpenStack']).sort(),
    );
  });

  it('features/checks/contributes.json (the merge source) lists the same commands', () => {
    const add = JSON.parse(readFileSync(join(root, 'src', 'features', 'checks', 'contributes.json'), 'utf8')) as Manifest['contributes'];
    const ids = add.commands.map((c) => c.command);
    for (const c of CHECKS) assert.ok(ids.includes(c.command), `contributes.json lacks "${c.command}"`);
  });

  it('gives every check a unique id and command, and the CLI a usage line and a name for each', () => {
    assert.equal(new Set(CHECKS.map((c) => c.id)).size, CHECKS.length);
    assert.equal(new Set(CHECKS.map((c) => c.command)).size, CHECKS.length);
    for (const c of CHECKS) {
      assert.equal(checkById(c.id), c);
      assert.ok(checkCommand.usage.includes(cliUsageOf(c)), `CLI usage lacks "${cliUsageOf(c)}"`);
      assert.ok(checkCommand.summary.includes(c.id), `CLI summary lacks "${c.id}"`);
    }
    assert.ok(checkCommand.usage.includes('check live-migration <server> [--target HOST]… [--source HOST] [COMMON]'));
  });

  it('says which inputs are missing the way the CLI reads them (live migration: a server or a source host)', () => {
    const lm = checkById('live-migration')!;
    assert.equal(inputsComplete(lm, {}), false);
    assert.equal(inputsComplete(lm, { target: ['compute2'] }), false);
    assert.equal(inputsComplete(lm, { source: 'compute1' }), true);
    assert.equal(inputsComplete(lm, { server: 'vm1' }), true);
    assert.equal(inputsComplete(checkById('floating-ip')!, { address: [] }), false);
    assert.equal(inputsComplete(checkById('vxlan')!, {}), true);
  });

  it('the CLI prints the usage (exit 2) for an unknown check or a missing required input', async () => {
    const err: string[] = [];
    const io: CliIo = { out: () => {}, err: (s) => void err.push(s), log: nullLogger, env: {}, cwd: root, signal: new AbortController().signal };
    assert.equal(await checkCommand.run(['nonsense'], io), 2);
    assert.equal(await checkCommand.run(['cgroups'], io), 2);
    assert.equal(await checkCommand.run(['live-migration', '--target', 'compute2'], io), 2);
    assert.match(err.join('\n'), /Usage: openstack-troubleshooter check live-migration/);
  });
});
