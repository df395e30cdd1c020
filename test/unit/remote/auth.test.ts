import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { isTroubleshooterError } from '../../../src/core/errors';
import { KeyCache, publicKeysOf, ttyPassphraseProvider, type PassphraseProvider } from '../../../src/core/remote/auth';

describe('private keys and passphrases', function () {
  this.timeout(30_000);
  let dir: string;
  let plain: string;
  let encrypted: string;
  const noPause = <T>(p: () => Promise<T>) => p();

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ost-keys-'));
    plain = join(dir, 'id_plain');
    encrypted = join(dir, 'id_enc');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', plain]);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'correct horse', '-C', '', '-f', encrypted]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('loads an unencrypted key without asking; a missing file is skipped', async () => {
    const cache = new KeyCache();
    const asked: unknown[] = [];
    const provider: PassphraseProvider = { get: async (r) => { asked.push(r); return undefined; } };
    const k = await cache.load(plain, 'compute1', provider, noPause);
    assert.equal(k?.type, 'ssh-ed25519');
    assert.equal(await cache.load(join(dir, 'missing'), 'compute1', provider, noPause), undefined);
    assert.equal(asked.length, 0);
  });

  it('asks for an encrypted key\'s passphrase, retries after a wrong one, reports each outcome, and asks only once per process', async () => {
    const cache = new KeyCache();
    const asked: { retry: boolean; keyFile: string; alias: string }[] = [];
    const settled: boolean[] = [];
    const answers = ['wrong', 'correct horse'];
    let paused = 0;
    const provider: PassphraseProvider = {
      get: async (r) => { asked.push(r); return answers.shift(); },
      settle: (_f, ok) => { settled.push(ok); },
    };
    const pause = async <T>(p: () => Promise<T>) => { paused++; return p(); };
    const k = await cache.load(encrypted, 'compute1', provider, pause);
    assert.equal(k?.type, 'ssh-ed25519');
    assert.deepEqual(asked.map((a) => a.retry), [false, true]);
    assert.equal(asked[0].keyFile, encrypted);
    assert.equal(asked[0].alias, 'compute1');
    assert.deepEqual(settled, [false, true]);
    assert.equal(paused, 2, 'the connect deadline is paused while the user types');
    await cache.load(encrypted, 'compute2', provider, pause);
    assert.equal(asked.length, 2, 'not asked again (reconnects)');
  });

  it('fails clearly: no prompt available, user declines, three wrong passphrases', async () => {
    await assert.rejects(new KeyCache().load(encrypted, 'compute1', undefined, noPause),
      (e) => isTroubleshooterError(e, 'AuthFailed') && /is encrypted and no passphrase prompt is available; add it to ssh-agent/.test(e.message));
    await assert.rejects(new KeyCache().load(encrypted, 'compute1', { get: async () => undefined }, noPause),
      (e) => isTroubleshooterError(e, 'AuthFailed') && /No passphrase was given/.test(e.message));
    await assert.rejects(new KeyCache().load(encrypted, 'compute1', { get: async () => 'nope' }, noPause),
      (e) => isTroubleshooterError(e, 'AuthFailed') && e.message === `Wrong passphrase for key "${encrypted}".` && !/nope/.test(JSON.stringify(e.details)));
  });

  it('reads public keys of identity files for the IdentitiesOnly agent filter', async () => {
    const set = await publicKeysOf([plain, join(dir, 'missing')]);
    assert.equal(set.size, 1);
  });

  it('the CLI prompt returns undefined without a TTY instead of hanging', async () => {
    const input = new PassThrough() as unknown as NodeJS.ReadStream;
    const output = new PassThrough() as unknown as NodeJS.WriteStream;
    assert.equal(await ttyPassphraseProvider(input, output).get({ keyFile: encrypted, alias: 'c', retry: false }), undefined);
  });
});
