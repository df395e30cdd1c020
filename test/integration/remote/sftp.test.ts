import assert from 'node:assert/strict';
import { isTroubleshooterError, type TroubleshooterError } from '../../../src/core/errors';
import { textCommand } from '../../../src/core/remote/command';
import { run } from '../../../src/core/remote/exec';
import { RemoteFiles, sha256 } from '../../../src/core/remote/sftp';
import { labSsh } from './lab-ssh';

describe('remote files over SFTP and sudo (integration)', function () {
  this.timeout(120_000);
  const lab = labSsh();
  const { pool, logger } = lab.pool();
  const dir = `/tmp/ost-sftp-${process.pid}-${Date.now()}`;
  const sh = (script: string) => run(pool, 'compute1', textCommand(['sh', '-c', script, 'sh', dir]));

  before(async () => {
    await sh('mkdir -p "$1"');
  });
  after(async () => {
    await sh('rm -rf "$1"').catch(() => undefined);
    pool.dispose();
  });

  for (const mode of ['sftp', 'sudo'] as const) {
    describe(`through ${mode}`, () => {
      const files = new RemoteFiles(pool, { sudo: mode === 'sudo' ? 'always' : 'never' });
      const path = `${dir}/${mode}-libvirtd.conf`;

      it('round trip: read, atomic write keeping mode and owner, timestamped backup of the old content', async () => {
        await sh(`printf 'listen_tls = 0\\nlisten_tcp = 0\\n' > "$1/${mode}-libvirtd.conf"; chown 65534:65534 "$1/${mode}-libvirtd.conf"; chmod 640 "$1/${mode}-libvirtd.conf"`);
        const f = await files.read('compute1', path);
        assert.equal(f.content.toString(), 'listen_tls = 0\nlisten_tcp = 0\n');
        assert.equal(f.mode, 0o640);
        assert.equal(f.uid, 65534);
        assert.equal(f.version.sha256, sha256(f.content));
        assert.equal(f.viaSudo, mode === 'sudo');
        const inodeBefore = (await sh(`stat -c %i "$1/${mode}-libvirtd.conf"`)).value.trim();

        const next = Buffer.from('listen_tls = 0\nlisten_tcp = 1\n');
        const w = await files.write('compute1', path, next, { expected: f.version });
        assert.equal(w.viaSudo, mode === 'sudo');
        assert.match(w.backupPath ?? '', new RegExp(`^${path.replace(/[.]/g, '\\.')}\\.bak-\\d{8}T\\d{6}Z$`));

        const check = (await sh(`cd "$1"; stat -c '%a %u %g %i' ${mode}-libvirtd.conf; cat ${mode}-libvirtd.conf; echo ---; cat "${w.backupPath}"; echo ---; ls -a | grep -c ost- || true`)).value;
        const [statLine, ...rest] = check.split('\n');
        const [perm, uid, gid, inode] = statLine.split(' ');
        assert.deepEqual([perm, uid, gid], ['640', '65534', '65534'], 'mode and owner kept');
        assert.notEqual(inode, inodeBefore, 'replaced by rename (a new inode), not rewritten in place');
        assert.equal(rest.join('\n'), 'listen_tls = 0\nlisten_tcp = 1\n---\nlisten_tls = 0\nlisten_tcp = 0\n---\n0\n', 'new content, backup has the old one, no temp file left');
        assert.equal(w.version.sha256, sha256(next));

        // the version returned by write is good for the next write
        const again = await files.write('compute1', path, Buffer.from('listen_tcp = 1\n'), { expected: w.version });
        assert.equal(again.version.size, 15);
        // a second save in the same second never overwrites the first backup
        assert.ok(again.backupPath && again.backupPath !== w.backupPath);
        assert.equal((await sh(`cat "${w.backupPath}"; echo ---; cat "${again.backupPath}"`)).value,
          'listen_tls = 0\nlisten_tcp = 0\n---\nlisten_tls = 0\nlisten_tcp = 1\n');
      });

      it('refuses to overwrite a file changed by someone else since it was read (FileChanged), leaving their change', async () => {
        await sh(`printf 'max_connections = 4096\\n' > "$1/${mode}-my.cnf"`);
        const p = `${dir}/${mode}-my.cnf`;
        const f = await files.read('compute1', p);
        // same size, same second: only the content hash can tell
        await sh(`printf 'max_connections = 8192\\n' > "$1/${mode}-my.cnf"; touch -d @${f.version.mtime} "$1/${mode}-my.cnf"`);
        await assert.rejects(files.write('compute1', p, Buffer.from('max_connections = 1000\n'), { expected: f.version }), (e: TroubleshooterError) => {
          assert.equal(e.code, 'FileChanged');
          assert.match(e.message, /changed since it was read/);
          return true;
        });
        // an append (size differs)
        await sh(`echo '# ops' >> "$1/${mode}-my.cnf"`);
        await assert.rejects(files.write('compute1', p, Buffer.from('x\n'), { expected: f.version }), (e) => isTroubleshooterError(e, 'FileChanged'));
        assert.equal((await sh(`cat "$1/${mode}-my.cnf"; ls "$1" | grep -c 'my.cnf.bak' || true`)).value, 'max_connections = 8192\n# ops\n0\n');
        // deleted meanwhile
        await sh(`rm "$1/${mode}-my.cnf"`);
        await assert.rejects(files.write('compute1', p, Buffer.from('x\n'), { expected: f.version }), (e) => isTroubleshooterError(e, 'FileChanged'));
      });

      it('creates a new file (expected null), and refuses when it appeared meanwhile', async () => {
        const p = `${dir}/${mode}-new.conf`;
        const w = await files.write('compute1', p, Buffer.from('new\n'), { expected: null });
        assert.equal(w.backupPath, undefined);
        assert.equal((await sh(`stat -c %a "$1/${mode}-new.conf"`)).value.trim(), '644');
        await assert.rejects(files.write('compute1', p, Buffer.from('again\n'), { expected: null }), (e) => isTroubleshooterError(e, 'FileChanged'));
      });

      it('NotFound, FileTooLarge and BinaryFile', async () => {
        await assert.rejects(files.read('compute1', `${dir}/missing`), (e: TroubleshooterError) =>
          e.code === 'NotFound' && e.message === `No such file on "compute1": "${dir}/missing".`);
        const small = new RemoteFiles(pool, { sudo: mode === 'sudo' ? 'always' : 'never', maxReadBytes: 1000 });
        await sh(`head -c 5000 /dev/zero | tr '\\0' a > "$1/big"; printf 'a\\0b' > "$1/bin"`);
        await assert.rejects(small.read('compute1', `${dir}/big`), (e) => isTroubleshooterError(e, 'FileTooLarge') && /limit/.test(e.message));
        await assert.rejects(files.read('compute1', `${dir}/bin`), (e) => isTroubleshooterError(e, 'BinaryFile'));
        assert.deepEqual([...(await files.read('compute1', `${dir}/bin`, { allowBinary: true })).content], [0x61, 0, 0x62]);
      });

      it('refuses /dev/zero and a FIFO at once instead of reading them (no unbounded read, no hang)', async () => {
        await sh(`rm -f "$1/${mode}-fifo"; mkfifo "$1/${mode}-fifo"`);
        for (const p of ['/dev/zero', `${dir}/${mode}-fifo`]) {
          const t0 = Date.now();
          await assert.rejects(files.read('compute1', p), (e: TroubleshooterError) => e.code === 'Unsupported' && e.message === `Not a regular file on "compute1" (a device, FIFO or socket is never read): "${p}".`);
          assert.ok(Date.now() - t0 < 10_000, `${p} answered at once`);
        }
      });
    });
  }

  it('stat and readdir', async () => {
    const files = new RemoteFiles(pool);
    await sh('mkdir -p "$1/d"; echo x > "$1/d/f"; ln -sf f "$1/d/link"');
    const st = await files.stat('compute1', `${dir}/d`);
    assert.equal(st.type, 'directory');
    const list = await files.readdir('compute1', `${dir}/d`);
    assert.deepEqual(list.map((e) => [e.name, e.stat.type]), [['f', 'file'], ['link', 'symlink']]);
    const link = await files.stat('compute1', `${dir}/d/link`);
    assert.equal(link.type, 'symlink');
    assert.equal(link.targetType, 'file');
    await assert.rejects(files.stat('compute1', `${dir}/nope`), (e) => isTroubleshooterError(e, 'NotFound'));
    await assert.rejects(files.stat('compute1', 'relative/path'), (e) => isTroubleshooterError(e, 'InvalidInput'));
  });

  it('writing through a symlink replaces the file it points to, keeping the link', async () => {
    const files = new RemoteFiles(pool);
    await sh('mkdir -p "$1/l"; echo old > "$1/l/real.conf"; ln -sf real.conf "$1/l/link.conf"');
    const f = await files.read('compute1', `${dir}/l/link.conf`);
    await files.write('compute1', `${dir}/l/link.conf`, Buffer.from('new\n'), { expected: f.version });
    assert.equal((await sh('cd "$1/l"; readlink link.conf; cat real.conf')).value, 'real.conf\nnew\n');
  });

  describe('logging (after the others)', () => {
    it('every SFTP call is logged once', () => {
      const reads = logger.lines.filter((l) => new RegExp(`> sftp compute1 read ${dir}/sftp-libvirtd.conf \\[\\d+ms\\]$`).test(l));
      assert.equal(reads.length, 1);
      assert.ok(logger.lines.some((l) => /> ssh compute1 sudo sh -c .* \[\d+ms\]/.test(l)));
    });
  });
});
