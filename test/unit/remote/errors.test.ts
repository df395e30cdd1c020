import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { TroubleshooterError } from '../../../src/core/errors';
import { classifySshError, classifySudoFailure } from '../../../src/core/remote/errors';
import { backupName, looksBinary } from '../../../src/core/remote/sftp';

const fixture = (n: string) => readFileSync(resolve(__dirname, '..', '..', 'fixtures', 'remote', n), 'utf8');

function err(message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), extra);
}

describe('ssh error classification', () => {
  const ctx = { subject: 'compute1' };
  const code = (e: unknown, c = ctx) => classifySshError(e, c).code;

  it('socket errors', () => {
    for (const c of ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND']) {
      const e = classifySshError(err(`connect ${c} 198.18.0.11:22`, { code: c, level: 'client-socket' }), ctx);
      assert.equal(e.code, 'HostUnreachable');
      assert.equal(e.message, `Cannot reach "compute1" (${c}).`);
    }
    assert.equal(code(err('read ECONNRESET', { code: 'ECONNRESET', level: 'client-socket' })), 'ConnectionLost');
    assert.equal(code(err('connect ETIMEDOUT', { code: 'ETIMEDOUT' })), 'Timeout');
  });

  it('ssh2 levels and messages', () => {
    assert.equal(code(err('All configured authentication methods failed', { level: 'client-authentication' })), 'AuthFailed');
    assert.equal(code(err('Timed out while waiting for handshake', { level: 'client-timeout' })), 'Timeout');
    assert.equal(code(err('No response from server')), 'ConnectionLost');
    assert.equal(code(err('Not connected')), 'ConnectionLost');
    assert.equal(code(err('Connection lost before handshake')), 'ConnectionLost');
    const refused = classifySshError(err('(SSH) Channel open failure: open failed'), ctx);
    assert.equal(refused.code, 'CommandFailed', 'a refused channel is not a dead connection');
    assert.equal(refused.message, '"compute1" refused to open a channel (open failed).');
  });

  it('SFTP status codes name the path', () => {
    const c = { subject: 'compute1', path: '/etc/libvirt/libvirtd.conf' };
    const nf = classifySshError(err('No such file', { code: 2 }), c);
    assert.equal(nf.code, 'NotFound');
    assert.equal(nf.message, 'No such file on "compute1": "/etc/libvirt/libvirtd.conf".');
    assert.equal(code(err('Permission denied', { code: 3 }), c), 'PermissionDenied');
    assert.equal(code(err('Failure', { code: 4 }), c), 'CommandFailed');
    assert.equal(code(err('No connection', { code: 6 }), c), 'ConnectionLost');
    assert.equal(code(err('Connection lost', { code: 7 }), c), 'ConnectionLost');
    assert.equal(code(err('Op unsupported', { code: 8 }), c), 'Unsupported');
  });

  it('keeps typed errors and chains the cause', () => {
    const t = new TroubleshooterError('HostKeyMismatch', 'x');
    assert.equal(classifySshError(t, ctx), t);
    const raw = err('boom');
    assert.equal(classifySshError(raw, ctx).cause, raw);
  });

  it('redacts secrets in fallback messages', () => {
    const e = classifySshError(err('weird failure password=hunter2'), ctx);
    assert.doesNotMatch(e.message, /hunter2/);
  });
});

describe('sudo failure classification', () => {
  it('the real "a password is required" stderr becomes SudoPasswordRequired', () => {
    const e = classifySudoFailure(fixture('sudo-password-required.stderr'), 'compute1');
    assert.equal(e?.code, 'SudoPasswordRequired');
    assert.match(e!.message, /needs a password/);
    assert.equal(e!.details.subject, 'compute1');
  });

  it('older sudo and sudoers refusals', () => {
    assert.equal(classifySudoFailure('sudo: no tty present and no askpass program specified\n', 'h')?.code, 'SudoPasswordRequired');
    assert.equal(classifySudoFailure('sudo: a terminal is required to read the password; either use the -S option\n', 'h')?.code, 'SudoPasswordRequired');
    assert.equal(classifySudoFailure('ops is not in the sudoers file.  This incident will be reported.\nsudo: x\n', 'h')?.code, undefined);
    assert.equal(classifySudoFailure('sudo: ops is not in the sudoers file.\n', 'h')?.code, 'PermissionDenied');
    assert.equal(classifySudoFailure('sh: 1: sudo: not found\n', 'h')?.code, 'Unsupported');
    assert.equal(classifySudoFailure('grep: /var/log/x: No such file or directory\n', 'h'), undefined, 'the command\'s own failure');
  });
});

describe('sftp helpers', () => {
  it('backup names sort by time and never end in .conf', () => {
    const b = backupName('/etc/security/limits.d/90-nofile.conf', new Date('2026-11-25T20:15:00.123Z'));
    assert.equal(b, '/etc/security/limits.d/90-nofile.conf.bak-20261125T201500Z');
    assert.doesNotMatch(b, /\.conf$/);
  });

  it('binary detection looks for NUL bytes', () => {
    assert.equal(looksBinary(Buffer.from('listen_tcp = 1\n')), false);
    assert.equal(looksBinary(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00])), true);
    assert.equal(looksBinary(Buffer.from('ünïcödé ✓\n')), false);
  });
});
