import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTroubleshooterError, type TroubleshooterError } from '../../../src/core/errors';
import {
  entryMatches, fingerprintSha256, knownHostName, knownKeyTypes, parseKnownHosts, verifyHostKey, type HostKeyPolicy,
  type HostKeyPromptRequest,
} from '../../../src/core/remote/known-hosts';

/** Real host keys made by ssh-keygen for each test run. */
function keygen(dir: string, name: string, type: string): { blob: Buffer; line: string; file: string } {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '1024'] : []), '-N', '', '-C', '', '-f', file]);
  const line = readFileSync(`${file}.pub`, 'utf8').trim();
  return { blob: Buffer.from(line.split(' ')[1], 'base64'), line, file: `${file}.pub` };
}

describe('known_hosts', function () {
  this.timeout(60_000); // ssh-keygen on a busy machine
  let dir: string;
  let ed: ReturnType<typeof keygen>;
  let ed2: ReturnType<typeof keygen>;
  let ec: ReturnType<typeof keygen>;
  let rsa: ReturnType<typeof keygen>;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ost-kh-'));
    ed = keygen(dir, 'ed', 'ed25519');
    ed2 = keygen(dir, 'ed2', 'ed25519');
    ec = keygen(dir, 'ec', 'ecdsa');
    rsa = keygen(dir, 'rsa', 'rsa');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const pub = (k: { line: string }) => k.line.split(' ').slice(0, 2).join(' ');
  const policy = (file: string, over: Partial<HostKeyPolicy> = {}): HostKeyPolicy => ({
    alias: 'compute1', hostName: '198.18.0.11', port: 22, knownHostsFiles: [file], globalKnownHostsFiles: [],
    strictHostKeyChecking: 'ask', hashKnownHosts: false, ...over,
  });

  it('fingerprints equal ssh-keygen -lf for ed25519, ecdsa and rsa', () => {
    for (const k of [ed, ec, rsa]) {
      const out = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', k.file], { encoding: 'utf8' });
      assert.equal(fingerprintSha256(k.blob), out.split(' ')[1]);
    }
  });

  it('names non-22 ports [host]:port', () => {
    assert.equal(knownHostName('Compute1', 22), 'compute1');
    assert.equal(knownHostName('198.18.0.11', 2222), '[198.18.0.11]:2222');
  });

  it('parses plain, comma lists, negation, wildcards, markers, and skips junk', () => {
    const text = [
      '# comment',
      `compute1,198.18.0.11 ${pub(ed)}`,
      `*.mgmt,!bad.mgmt ${pub(ec)}`,
      `[198.18.0.11]:2222 ${pub(rsa)}`,
      `@revoked * ${pub(ed2)}`,
      `@cert-authority *.example.org ${pub(ed2)}`,
      'garbage line',
      `@bogus host ${pub(ed)}`,
      `host ssh-rsa ${ed.line.split(' ')[1]}`, // type does not match the blob: skipped
      '',
    ].join('\n');
    const e = parseKnownHosts(text, 'kh');
    assert.equal(e.length, 5);
    assert.deepEqual(e.map((x) => [x.line, x.marker ?? '']), [[2, ''], [3, ''], [4, ''], [5, 'revoked'], [6, 'cert-authority']]);
    assert.ok(entryMatches(e[0], 'compute1'));
    assert.ok(entryMatches(e[0], '198.18.0.11'));
    assert.ok(!entryMatches(e[0], 'compute2'));
    assert.ok(entryMatches(e[1], 'c1.mgmt'));
    assert.ok(!entryMatches(e[1], 'bad.mgmt'), 'negation wins');
    assert.ok(entryMatches(e[2], '[198.18.0.11]:2222'));
    assert.ok(!entryMatches(e[2], '198.18.0.11'));
  });

  it('matches hashed entries written by ssh-keygen -H', () => {
    const file = join(dir, 'hashed');
    writeFileSync(file, `compute1 ${pub(ed)}\n[198.18.0.11]:2222 ${pub(ec)}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    const text = readFileSync(file, 'utf8');
    assert.match(text, /^\|1\|/m);
    assert.doesNotMatch(text, /compute1/);
    const e = parseKnownHosts(text, file);
    assert.equal(e.length, 2);
    assert.ok(entryMatches(e[0], 'compute1'));
    assert.ok(!entryMatches(e[0], 'compute2'));
    assert.ok(entryMatches(e[1], '[198.18.0.11]:2222'));
  });

  it('accepts a known key (plain or hashed) and prefers known key types', async () => {
    const file = join(dir, 'kh-known');
    writeFileSync(file, `compute1,198.18.0.11 ${pub(ed)}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    const d = await verifyHostKey(policy(file), ed.blob);
    assert.equal(d.status, 'known');
    assert.deepEqual(await knownKeyTypes(policy(file)), ['ssh-ed25519']);
  });

  it('refuses a changed key naming the file and line', async () => {
    const file = join(dir, 'kh-changed');
    writeFileSync(file, `# lab\nother ${pub(ec)}\n198.18.0.11 ${pub(ed)}\n`);
    await assert.rejects(verifyHostKey(policy(file), ed2.blob, async () => true), (e: TroubleshooterError) => {
      assert.equal(e.code, 'HostKeyMismatch');
      assert.equal(e.details.file, file);
      assert.equal(e.details.line, 3);
      assert.ok(e.message.includes(`"${file}" line 3`), e.message);
      assert.ok(e.message.includes(fingerprintSha256(ed2.blob)));
      return true;
    });
    assert.equal(readFileSync(file, 'utf8').split('\n').length, 4, 'nothing appended');
  });

  it('refuses a revoked key', async () => {
    const file = join(dir, 'kh-revoked');
    writeFileSync(file, `@revoked * ${pub(ed)}\n198.18.0.11 ${pub(ed)}\n`);
    await assert.rejects(verifyHostKey(policy(file), ed.blob), (e) => isTroubleshooterError(e, 'HostKeyRevoked') && e.details.line === 1);
  });

  it('as OpenSSH 9.2: a key of another type known is a changed key; off port 22 the same key under the bare name counts', async () => {
    const file = join(dir, 'kh-types');
    writeFileSync(file, `198.18.0.11 ${pub(ec)}\n`);
    await assert.rejects(verifyHostKey(policy(file), ed.blob), (e) => isTroubleshooterError(e, 'HostKeyMismatch') && e.details.line === 1);
    assert.equal((await verifyHostKey(policy(file, { port: 2222 }), ec.blob)).status, 'known', 'bare-name line, same key');
    await assert.rejects(verifyHostKey(policy(file, { port: 2222 }), ed.blob, async () => false), (e) => isTroubleshooterError(e, 'HostKeyUnknown'),
      'another key under the bare name is not a changed key');
  });

  it('an @revoked line applies only to the hosts its pattern matches (as OpenSSH loads host keys)', async () => {
    const file = join(dir, 'kh-revoked-other');
    writeFileSync(file, `@revoked 198.18.0.99 ${pub(ed)}\n198.18.0.11 ${pub(ed)}\n`);
    assert.equal((await verifyHostKey(policy(file), ed.blob)).status, 'known', 'revoked for another host only');
    await assert.rejects(verifyHostKey({ ...policy(file), hostName: '198.18.0.99' }, ed.blob), (e) => isTroubleshooterError(e, 'HostKeyRevoked'));
  });

  it('unknown key: the prompt sees the OpenSSH fingerprint; consent appends a line ssh-keygen -F finds', async () => {
    const file = join(dir, 'sub', 'kh-new');
    const seen: HostKeyPromptRequest[] = [];
    const d = await verifyHostKey(policy(file, { port: 2222 }), ec.blob, async (r) => { seen.push(r); return true; });
    assert.equal(d.status, 'added');
    assert.equal(seen.length, 1);
    assert.equal(seen[0].fingerprint, execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', ec.file], { encoding: 'utf8' }).split(' ')[1]);
    assert.equal(seen[0].name, '[198.18.0.11]:2222');
    assert.equal(seen[0].knownHostsFile, file);
    const found = execFileSync('ssh-keygen', ['-F', '[198.18.0.11]:2222', '-f', file], { encoding: 'utf8' });
    assert.match(found, /ecdsa-sha2-nistp256/);
    assert.equal((await verifyHostKey(policy(file, { port: 2222 }), ec.blob)).status, 'known');
  });

  it('unknown key: a refusing prompt, no prompt, or StrictHostKeyChecking yes → HostKeyUnknown, file untouched', async () => {
    const file = join(dir, 'kh-refuse');
    writeFileSync(file, `other ${pub(ed)}\n`);
    await assert.rejects(verifyHostKey(policy(file), ec.blob, async () => false), (e) => isTroubleshooterError(e, 'HostKeyUnknown'));
    await assert.rejects(verifyHostKey(policy(file), ec.blob), (e) => isTroubleshooterError(e, 'HostKeyUnknown'));
    let asked = false;
    await assert.rejects(verifyHostKey(policy(file, { strictHostKeyChecking: 'yes' }), ec.blob, async () => { asked = true; return true; }),
      (e) => isTroubleshooterError(e, 'HostKeyUnknown') && /StrictHostKeyChecking/.test(e.message));
    assert.equal(asked, false);
    assert.equal(readFileSync(file, 'utf8'), `other ${pub(ed)}\n`);
  });

  it('accept-new (the user\'s own choice) appends hashed when HashKnownHosts is on', async () => {
    const file = join(dir, 'kh-accept-new');
    writeFileSync(file, `other ${pub(ed)}`); // no trailing newline
    const d = await verifyHostKey(policy(file, { strictHostKeyChecking: 'accept-new', hashKnownHosts: true }), ec.blob);
    assert.equal(d.status, 'added');
    const lines = readFileSync(file, 'utf8').split('\n');
    assert.equal(lines[0], `other ${pub(ed)}`);
    assert.match(lines[1], /^\|1\|[^ ]+ ecdsa-sha2-nistp256 /);
    assert.match(execFileSync('ssh-keygen', ['-F', '198.18.0.11', '-f', file], { encoding: 'utf8' }), /ecdsa/);
  });

  it('a CA-only host is recognised but still unknown for a plain key', async () => {
    const file = join(dir, 'kh-ca');
    writeFileSync(file, `@cert-authority 198.18.0.* ${pub(ed2)}\n`);
    await assert.rejects(verifyHostKey(policy(file), ed.blob), (e) => isTroubleshooterError(e, 'HostKeyUnknown') && e.details.certAuthorityKnown === true);
  });

  it('HostKeyAlias is the name looked up', async () => {
    const file = join(dir, 'kh-alias');
    writeFileSync(file, `my-alias ${pub(ed)}\n`);
    assert.equal((await verifyHostKey(policy(file, { hostKeyAlias: 'my-alias' }), ed.blob)).status, 'known');
  });
});
