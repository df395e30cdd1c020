import assert from 'node:assert/strict';
import Module from 'node:module';
import { join } from 'node:path';
import { TroubleshooterError } from '../../../src/core/errors';
import { textCommand } from '../../../src/core/remote/command';
import { run } from '../../../src/core/remote/exec';
import { labSsh } from './lab-ssh';

// `vscode` only exists inside the extension host: resolve it to the small stub for this plain-Node run.
type Resolve = (request: string, ...rest: unknown[]) => string;
const mod = Module as unknown as { _resolveFilename: Resolve };
const original = mod._resolveFilename;
mod._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]) {
  return request === 'vscode' ? join(__dirname, 'vscode-stub.ts') : original.call(this, request, ...rest);
} as Resolve;
/* eslint-disable @typescript-eslint/no-require-imports */
const vscode = require('./vscode-stub') as typeof import('./vscode-stub');
const { activateSftp } = require('../../../src/features/sftp/activate-sftp') as typeof import('../../../src/features/sftp/activate-sftp');
const { sftpUri, toFileSystemError, SFTP_SCHEME } = require('../../../src/features/sftp/sftp-file-system') as typeof import('../../../src/features/sftp/sftp-file-system');
/* eslint-enable @typescript-eslint/no-require-imports */

describe('openstack-sftp FileSystemProvider over the lab (vscode API stubbed, SFTP real)', function () {
  this.timeout(60_000);
  const lab = labSsh();
  const { pool, logger } = lab.pool();
  const dir = `/tmp/ost-fsp-${process.pid}-${Date.now()}`;
  const sh = (script: string) => run(pool, 'compute1', textCommand(['sh', '-c', script, 'sh', dir]));
  const activation = activateSftp({ pool, logger });
  const fsp = activation.provider;
  const uri = (p: string) => sftpUri('compute1', `${dir}${p}`) as never;
  const code = (e: unknown) => (e as { code?: string }).code;

  before(() => sh('mkdir -p "$1/d" && printf "listen_tcp = 0\\n" > "$1/libvirtd.conf" && chmod 600 "$1/libvirtd.conf"'));
  after(async () => {
    await sh('rm -rf "$1"').catch(() => undefined);
    activation.dispose();
    pool.dispose();
    mod._resolveFilename = original;
  });

  it('registers the openstack-sftp scheme, case-sensitive', () => {
    assert.deepEqual(vscode.registered.map((r) => [r.scheme, r.options]), [[SFTP_SCHEME, { isCaseSensitive: true }]]);
  });

  it('stat, readDirectory, readFile', async () => {
    const st = await fsp.stat(uri(''));
    assert.equal(st.type, vscode.FileType.Directory);
    const list = await fsp.readDirectory(uri(''));
    assert.deepEqual(list, [['d', vscode.FileType.Directory], ['libvirtd.conf', vscode.FileType.File]]);
    assert.equal(Buffer.from(await fsp.readFile(uri('/libvirtd.conf'))).toString(), 'listen_tcp = 0\n');
    const f = await fsp.stat(uri('/libvirtd.conf'));
    assert.equal(f.size, 15);
    assert.ok(f.mtime > Date.now() - 3_600_000);
  });

  it('save: atomic, mode kept, backup made, change event fired', async () => {
    const events: unknown[] = [];
    const sub = fsp.onDidChangeFile((e) => events.push(...e));
    await fsp.readFile(uri('/libvirtd.conf'));
    await fsp.writeFile(uri('/libvirtd.conf'), Buffer.from('listen_tcp = 1\n'), { create: true, overwrite: true });
    sub.dispose();
    const r = await sh('cd "$1"; stat -c %a libvirtd.conf; cat libvirtd.conf; cat libvirtd.conf.bak-*');
    assert.equal(r.value, '600\nlisten_tcp = 1\nlisten_tcp = 0\n');
    assert.equal(events.length, 1);
    assert.ok(logger.lines.some((l) => /Saved ".*libvirtd\.conf" on "compute1"; previous version kept as ".*\.bak-\d{8}T\d{6}Z"\./.test(l)));
  });

  it('auto save does not pile up backups: one per editing session, a new one after a change on the host', async () => {
    await sh('cd "$1" && printf "a\\n" > auto.conf');
    await fsp.readFile(uri('/auto.conf'));
    for (const text of ['b\n', 'c\n', 'd\n']) await fsp.writeFile(uri('/auto.conf'), Buffer.from(text), { create: true, overwrite: true });
    assert.equal((await sh('cd "$1" && ls auto.conf.bak-* | wc -l && cat auto.conf.bak-*')).value, '1\na\n', 'only the original is kept');
    await sh('cd "$1" && printf "puppet\\n" > auto.conf');
    await fsp.readFile(uri('/auto.conf'));
    await fsp.writeFile(uri('/auto.conf'), Buffer.from('e\n'), { create: true, overwrite: true });
    assert.equal((await sh('cd "$1" && ls auto.conf.bak-* | wc -l && cat auto.conf')).value, '2\ne\n', "someone else's version is backed up too");
  });

  it('a save after someone else changed the file on the host is refused with a FileSystemError', async () => {
    await fsp.readFile(uri('/libvirtd.conf'));
    await sh('echo "# edited by puppet" >> "$1/libvirtd.conf"');
    await assert.rejects(fsp.writeFile(uri('/libvirtd.conf'), Buffer.from('mine\n'), { create: true, overwrite: true }), (e: Error) => {
      assert.ok(e instanceof vscode.FileSystemError);
      assert.match(e.message, /changed since it was read \(.*\); reload it before saving\./);
      return true;
    });
    assert.match((await sh('cat "$1/libvirtd.conf"')).value, /# edited by puppet\n$/);
  });

  it('missing files, create/overwrite flags, non-empty folder delete', async () => {
    await assert.rejects(fsp.readFile(uri('/nope')), (e) => code(e) === 'FileNotFound');
    await assert.rejects(fsp.stat(uri('/nope')), (e) => code(e) === 'FileNotFound');
    await assert.rejects(fsp.writeFile(uri('/new.conf'), Buffer.from('x'), { create: false, overwrite: true }), (e) => code(e) === 'FileNotFound');
    await fsp.writeFile(uri('/new.conf'), Buffer.from('x\n'), { create: true, overwrite: false });
    await assert.rejects(fsp.writeFile(uri('/other.conf'), Buffer.from('x'), { create: true, overwrite: false }).then(() =>
      fsp.writeFile(uri('/other.conf'), Buffer.from('y'), { create: true, overwrite: false })), (e) => code(e) === 'FileExists');
    await fsp.writeFile(uri('/d/f'), Buffer.from('f'), { create: true, overwrite: false });
    await assert.rejects(fsp.delete(uri('/d'), { recursive: true }), (e) => code(e) === 'NoPermissions');
    await fsp.delete(uri('/d/f'), { recursive: false });
    await fsp.delete(uri('/d'), { recursive: true });
    await assert.rejects(fsp.stat(uri('/d')), (e) => code(e) === 'FileNotFound');
  });

  it('maps the core error codes to FileSystemError codes', () => {
    const u = uri('/x');
    const map = (c: TroubleshooterError['code']) => code(toFileSystemError(new TroubleshooterError(c, 'm'), u));
    assert.equal(map('NotFound'), 'FileNotFound');
    assert.equal(map('PermissionDenied'), 'NoPermissions');
    assert.equal(map('SudoPasswordRequired'), 'NoPermissions');
    for (const c of ['HostUnreachable', 'ConnectionLost', 'Timeout', 'AuthFailed', 'HostKeyMismatch'] as const) assert.equal(map(c), 'Unavailable');
    assert.equal(map('FileChanged'), 'Unknown');
  });
});
