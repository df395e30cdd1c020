import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import { describeArgv, shellQuote, toCommandLine, withSudo } from '../../../src/core/remote/command';
import {
  validateAbsolutePath, validateHostname, validateNamespace, validateRequestId, validateUuid,
} from '../../../src/core/remote/validate';
import { remoteArgv } from '../../../src/core/remote/exec';
import { SshConfigResolver } from '../../../src/core/remote/ssh-config';
import { isTroubleshooterError } from '../../../src/core/errors';
import { validateKey } from '../../../src/core/logs/keys';

const NASTY = [
  '', ' ', 'plain', "it's", "'", "''", '"', '$HOME', '${HOME}', '`id`', '$(id)', 'a;b', 'a && b', 'a|b', '*', '?', '[a]',
  '~', '~root', 'back\\slash', 'tab\there', 'new\nline', 'trailing\n', '-n', '--', '!', '!!', '#comment', 'a=b', '%s', '%%',
  'ünïcödé ✓', '\u001b[31mred', "mixed 'single' and \"double\"", '\\\'',
];

describe('remote command quoting', () => {
  // One shell per test, each string printed by its own `printf %s <quoted>` and followed by a NUL: a process per
  // string (68 spawns) took more than mocha's 2 s on a busy 2-core machine.
  const eachThrough = (shell: string) => {
    const script = NASTY.map((s) => `printf %s ${shellQuote(s)}; printf '\\0'`).join('\n');
    return execFileSync(shell, ['-c', script], { encoding: 'utf8' }).split('\0').slice(0, -1);
  };

  it('round-trips nasty strings through a real sh -c printf', () => {
    const out = eachThrough('sh');
    NASTY.forEach((s, i) => assert.equal(out[i], s, `quoting of ${JSON.stringify(s)} as ${shellQuote(s)}`));
    assert.equal(out.length, NASTY.length);
  });

  it('round-trips a whole argv through sh -c (as sshd hands it to the login shell)', () => {
    const argv = ['printf', '%s|', ...NASTY];
    const out = execFileSync('sh', ['-c', toCommandLine(argv)], { encoding: 'utf8' });
    assert.equal(out, NASTY.map((s) => `${s}|`).join(''));
  });

  it('round-trips through bash too', () => {
    assert.deepEqual(eachThrough('bash'), NASTY);
  });

  it('keeps plain words readable in logs', () => {
    assert.equal(toCommandLine(['grep', '-F', 'req-6e4c0c9a-0d5b-4f0a-9c59-2f2b8a1f1e11', '/var/log/nova/nova-api.log']),
      'grep -F req-6e4c0c9a-0d5b-4f0a-9c59-2f2b8a1f1e11 /var/log/nova/nova-api.log');
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
    assert.equal(shellQuote(''), `''`);
  });

  it('refuses NUL bytes and empty argv', () => {
    assert.throws(() => shellQuote('a\0b'), (e) => isTroubleshooterError(e, 'InvalidInput'));
    assert.throws(() => toCommandLine([]), (e) => isTroubleshooterError(e, 'InvalidInput'));
  });

  it('adds sudo -n -- only when asked', () => {
    assert.deepEqual(withSudo(['cat', '/etc/shadow'], true), ['sudo', '-n', '--', 'cat', '/etc/shadow']);
    assert.deepEqual(withSudo(['cat', '/etc/hosts'], false), ['cat', '/etc/hosts']);
  });

  it('wraps commands in the watchdog, and skips sudo for root', () => {
    const r = new SshConfigResolver({ text: 'Host a\n User root\nHost b\n User ops\n', home: '/home/t', env: {} });
    assert.deepEqual(remoteArgv(r.resolve('a'), ['tail', '-F', '/x'], { sudo: true, watchdog: false }), ['tail', '-F', '/x']);
    assert.deepEqual(remoteArgv(r.resolve('b'), ['tail', '-F', '/x'], { sudo: true, watchdog: false }), ['sudo', '-n', '--', 'tail', '-F', '/x']);
    const wd = remoteArgv(r.resolve('b'), ['tail', '-F', '/x'], { sudo: true, watchdog: true });
    assert.deepEqual(wd.slice(0, 5), ['sudo', '-n', '--', 'sh', '-c']);
    assert.deepEqual(wd.slice(6), ['sh', 'tail', '-F', '/x']);
  });

  it('the watchdog keeps argv and exit status while stdin stays open', async () => {
    const r = new SshConfigResolver({ text: 'Host a\n User root\n', home: '/home/t', env: {} });
    const argv = remoteArgv(r.resolve('a'), ['sh', '-c', 'printf "%s|" "$@"; exit 3', 'x', "it's", '$HOME'], { watchdog: true });
    const child = spawn('sh', ['-c', toCommandLine(argv)], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    const code = await new Promise<number | null>((res) => child.on('exit', res));
    child.stdin.end();
    assert.equal(out, "it's|$HOME|"); // $0 is x
    assert.equal(code, 3);
  });

  it('the watchdog ends the whole remote process group when stdin (the channel) closes', async () => {
    const marker = `/tmp/ost-watchdog-${process.pid}-${Date.now()}`;
    const r = new SshConfigResolver({ text: 'Host a\n User root\n', home: '/home/t', env: {} });
    const argv = remoteArgv(r.resolve('a'), ['sh', '-c', `touch ${marker}; tail -f ${marker} & tail -f ${marker}; wait`], { watchdog: true });
    const child = spawn('sh', ['-c', toCommandLine(argv)], { stdio: ['pipe', 'ignore', 'inherit'] });
    await new Promise((res) => setTimeout(res, 300));
    assert.match(execFileSync('sh', ['-c', `pgrep -f '[t]ail -f ${marker}' || true`], { encoding: 'utf8' }), /\d+/);
    const t0 = Date.now();
    child.stdin.end();
    const code = await new Promise<number | null>((res) => child.on('exit', res));
    assert.ok(Date.now() - t0 < 3000);
    assert.equal(code, 143);
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(execFileSync('sh', ['-c', `pgrep -f '[t]ail -f ${marker}' || true`], { encoding: 'utf8' }), '');
    rmSync(marker, { force: true });
  });

  it('describes argv in one bounded line', () => {
    assert.equal(describeArgv(['grep', '-e', 'a\nb']), `grep -e 'a\\nb'`);
    assert.ok(describeArgv(['x'.repeat(1000)]).length <= 240);
  });
});

describe('remote input validators', () => {
  const bad = (fn: () => unknown) => assert.throws(fn, (e) => isTroubleshooterError(e, 'InvalidInput') && /"/.test(e.message));

  it('host names', () => {
    for (const h of ['compute1', 'compute-1.mgmt.example.org', 'ctl_01', '198.18.0.11', 'fe80::1', 'fd00::1%eth0', 'a.']) assert.equal(validateHostname(h), h);
    for (const h of ['', '-oProxyCommand=x', 'a b', 'a;b', 'a/b', '$(id)', 'x'.repeat(254), 'a..b', 'ab-', ':::x']) bad(() => validateHostname(h));
  });

  it('absolute paths', () => {
    assert.equal(validateAbsolutePath('/etc//libvirt/./libvirtd.conf'), '/etc/libvirt/libvirtd.conf');
    assert.equal(validateAbsolutePath('/'), '/');
    for (const p of ['etc/x', '', '/etc/../shadow', '/a\nb', '/a\0b', '-rf']) bad(() => validateAbsolutePath(p));
  });

  it('UUIDs and request ids', () => {
    assert.equal(validateUuid('83816554-1A46-4510-B57D-93134C850723'), '83816554-1a46-4510-b57d-93134c850723');
    bad(() => validateUuid('83816554-1a46-4510-b57d'));
    bad(() => validateUuid('83816554-1a46-4510-b57d-93134c850723; rm -rf /'));
    assert.equal(validateRequestId('req-483abc5c-1199-46c0-afa8-0962c517bba7'), 'req-483abc5c-1199-46c0-afa8-0962c517bba7');
    bad(() => validateRequestId('req-483ABC5C-1199-46c0-afa8-0962c517bba7'));
    bad(() => validateRequestId('483abc5c-1199-46c0-afa8-0962c517bba7'));
    bad(() => validateRequestId('req-x'));
    // what a user pastes: blanks and upper case are fixed only when asked, and the message quotes the input as given
    assert.equal(validateRequestId(' REQ-483ABC5C-1199-46C0-AFA8-0962C517BBA7\n', { normalize: true }), 'req-483abc5c-1199-46c0-afa8-0962c517bba7');
    assert.throws(() => validateRequestId('req-1; reboot', { normalize: true }),
      (e: Error) => isTroubleshooterError(e, 'InvalidInput') && e.message === 'Not a request id (expected req- followed by a UUID, like req-5f2adc28-1772-480e-a35c-c12ec08b94d7): "req-1; reboot".');
  });

  it('one request-id validator: the correlation keys use the same one', () => {
    for (const v of ['req-483abc5c-1199-46c0-afa8-0962c517bba7', ' REQ-483ABC5C-1199-46C0-AFA8-0962C517BBA7 ', 'req-483abc5c', 'req-483abc5c-1199-46c0-afa8-0962c517bba7$(id)', '']) {
      const viaRemote = (() => { try { return validateRequestId(v, { normalize: true }); } catch (e) { return (e as Error).message; } })();
      const viaKeys = (() => { try { return validateKey({ kind: 'request', value: v }).value; } catch (e) { return (e as Error).message; } })();
      assert.equal(viaKeys, viaRemote, JSON.stringify(v));
    }
  });

  it('namespace names', () => {
    assert.equal(validateNamespace('qrouter-83816554-1a46-4510-b57d-93134c850723'), 'qrouter-83816554-1a46-4510-b57d-93134c850723');
    assert.equal(validateNamespace('osl-compute1'), 'osl-compute1');
    for (const n of ['', '..', '-x', 'a/b', 'a b', 'qrouter-$(id)']) bad(() => validateNamespace(n));
  });
});
