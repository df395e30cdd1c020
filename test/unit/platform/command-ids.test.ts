import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKS } from '../../../src/core/checks/registry';
import { COMMAND_IDS } from '../../../src/platform/command-ids';
import { ERROR_TABLE, notificationOf } from '../../../src/platform/error-table';

const root = join(__dirname, '..', '..', '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { contributes: { commands: { command: string }[] } };
const contributed = manifest.contributes.commands.map((c) => c.command);

describe('platform: typed command ids and the one error table', () => {
  it('the typed command ids plus the registry\'s check commands are exactly what package.json contributes', () => {
    assert.deepEqual([...COMMAND_IDS, ...CHECKS.map((c) => c.command)].sort(), [...contributed].sort());
  });

  it('every registerCommand in src names a typed id (no string literal outside COMMAND_IDS)', () => {
    const out = execFileSync('grep', ['-rhoE', "registerCommand\\(\\s*'[^']+'", join(root, 'src')], { encoding: 'utf8' });
    const literal = [...out.matchAll(/'([^']+)'/g)].map((m) => m[1]);
    assert.ok(literal.length > 30);
    for (const id of literal) assert.ok((COMMAND_IDS as readonly string[]).includes(id), `"${id}" is registered but not in COMMAND_IDS`);
  });

  it('has a row for every error code of src/core/errors.ts', () => {
    const text = readFileSync(join(root, 'src', 'core', 'errors.ts'), 'utf8');
    const union = /export type ErrorCode =([\s\S]*?);/.exec(text)?.[1] ?? '';
    const codes = [...union.matchAll(/\|\s*'([A-Za-z]+)'/g)].map((m) => m[1]);
    assert.ok(codes.length >= 26, `found ${codes.length} codes`);
    assert.deepEqual(Object.keys(ERROR_TABLE).sort(), codes.sort());
  });

  it('every notification ends with "Show Log", and every action runs a contributed (or workbench) command', () => {
    for (const code of Object.keys(ERROR_TABLE) as (keyof typeof ERROR_TABLE)[]) {
      const n = notificationOf(code, 'Something happened.', 'Check VXLAN Port Consistency');
      assert.equal(n.actions[n.actions.length - 1].title, 'Show Log', code);
      assert.ok(n.text.startsWith('Check VXLAN Port Consistency: '), code);
      for (const a of n.actions) assert.ok(contributed.includes(a.command) || a.command.startsWith('workbench.'), `${code}: "${a.command}"`);
    }
    assert.equal(notificationOf(undefined, 'Plain.').text, 'Plain.');
    assert.equal(notificationOf('HostKeyMismatch', 'Host key of "compute1" changed.').text.startsWith('Refused: the host key changed. Host key of "compute1" changed.'), true);
  });

  it('gives the explorer a quiet placeholder for the codes that explain an empty list', () => {
    assert.equal(ERROR_TABLE.Forbidden.node?.text('Policy does not allow it.', 'hypervisors'), 'Policy does not allow it. Listing hypervisors needs a role this user does not have (usually admin).');
    assert.equal(ERROR_TABLE.Cancelled.node?.label, 'Cancelled');
    assert.equal(ERROR_TABLE.HostUnreachable.node, undefined, 'real failures stay error nodes that open the log');
  });
});
