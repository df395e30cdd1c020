import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { isTroubleshooterError } from '../../src/core/errors';
import { entryMatches, parseKnownHosts, verifyHostKey, type HostKeyPolicy } from '../../src/core/remote/known-hosts';
import { cleanTempDirs, keygenFind, newPublicKey, tempDir } from './support/tools';

/**
 * known_hosts: one file of tricky but ordinary lines (and the same file hashed by `ssh-keygen -H`); for each name,
 * the lines OpenSSH's host-file code matches (`ssh-keygen -l -F <name> -f <file>`: it parses the keys as ssh does,
 * so a line whose key does not parse is skipped as ssh skips it) must be the lines we match, with the same marker.
 * Then the decision for a presented key follows from those real lines: a matching `@revoked` line with that key
 * refuses it (and only for the hosts its pattern matches), a matching plain line with it accepts it.
 */

const QUERIES = [
  'a.example', 'b.example', 'c.example', 'foo.ca.example', 'd.example', '[d.example]:2222', '[d.example]:22',
  'ok.wild.example', 'bad.wild.example', 'e.example', 'f.example', 'xy.example', 'x.example', 'xyz.example', 'g.example',
  '10.0.0.1', '[10.0.0.1]:2200', 'fe80::1', '[fe80::1]:2222', 'h.example', 'i.example', 'j.example', 'k.example',
  '[a.port.example]:2022', 'l.example', 'm.example', 'n.example', 'o.example', 'p.example', 'q.example', 'r.example',
  'z.none.example', 's.example',
];

describe('differential: known_hosts against OpenSSH (ssh-keygen -F)', function () {
  this.timeout(60_000);
  let dir: string;
  let plain: string;
  let hashed: string;
  const keys: Record<string, { type: string; b64: string }> = {};

  before(() => {
    dir = tempDir('kh');
    keys.k1 = newPublicKey(dir, 'ed25519', 'k1');
    keys.k2 = newPublicKey(dir, 'ecdsa', 'k2');
    keys.k3 = newPublicKey(dir, 'ed25519', 'k3');
    const k = (n: string) => `${keys[n].type} ${keys[n].b64}`;
    const lines = [
      '# a comment',
      `a.example,b.example ${k('k1')}`,
      `@revoked c.example ${k('k1')}`,
      `@cert-authority *.ca.example ${k('k2')}`,
      `[d.example]:2222 ${k('k1')}`,
      `*.wild.example,!bad.wild.example ${k('k1')}`,
      `   e.example ${k('k1')}`,
      `F.Example ${k('k1')}`,
      `x?.example ${k('k1')}`,
      `g.example ssh-rsa ${keys.k1.b64}`, // the type names another key than the blob: ssh skips the line
      `10.0.0.1 ${k('k2')}`,
      `[10.0.0.1]:2200 ${k('k2')}`,
      `fe80::1 ${k('k1')}`,
      `[fe80::1]:2222 ${k('k1')}`,
      `h.example ${k('k2')} a comment of several words`,
      `h.example ${k('k1')}`,
      `@revoked * ${k('k3')}`,
      `@unknown-marker i.example ${k('k1')}`,
      'j.example',
      'k.example ssh-ed25519 not-base64!!!',
      `[*.port.example]:* ${k('k1')}`,
      `l.example,m.example,!m.example ${k('k1')}`,
      `!n.example ${k('k1')}`,
      `o.example ${k('k1')} # trailing`,
      '',
      `p.example ${k('k1')}\r`,
      `q.example\t${k('k1')}`,
      `r.example,r.example ${k('k2')}`,
      `@revoked s.example,h.example ${k('k2')}`,
      `s.example ${k('k1')}`,
    ];
    plain = join(dir, 'known_hosts');
    writeFileSync(plain, `${lines.join('\n')}\n`);
    hashed = join(dir, 'known_hosts.hashed');
    // ssh-keygen -H refuses a file with lines it cannot parse: hash the parseable ones (wildcard lines stay as they are).
    writeFileSync(hashed, `${lines.filter((l) => !/^(j|k)\.example|^@unknown/.test(l)).join('\n')}\n`);
    spawnSync('ssh-keygen', ['-H', '-f', hashed], { encoding: 'utf8' });
    assert.match(readFileSync(hashed, 'utf8'), /^\|1\|/m, 'ssh-keygen -H hashed the file');
  });
  after(cleanTempDirs);

  const ours = (file: string, name: string) =>
    parseKnownHosts(readFileSync(file, 'utf8'), file)
      .filter((e) => entryMatches(e, name))
      .map((e) => ({ line: e.line, marker: e.marker === 'revoked' ? 'REVOKED' : e.marker === 'cert-authority' ? 'CA' : '' }));

  for (const name of QUERIES) {
    it(`lines matched for "${name}"`, () => {
      assert.deepEqual(ours(plain, name), keygenFind(plain, name));
    });
  }
  for (const name of ['a.example', 'b.example', 'c.example', '[d.example]:2222', 'h.example', '10.0.0.1', 'fe80::1', 's.example', 'r.example', 'zz.example']) {
    it(`lines matched for "${name}" in the hashed file`, () => {
      assert.deepEqual(ours(hashed, name), keygenFind(hashed, name));
    });
  }

  for (const name of ['a.example', 'c.example', 'h.example', 's.example', 'e.example', 'z.none.example']) {
    for (const key of ['k1', 'k2', 'k3']) {
      it(`the decision for "${name}" presenting ${key} follows ssh's matching lines`, async () => {
        const blob = Buffer.from(keys[key].b64, 'base64');
        const text = readFileSync(plain, 'utf8').split('\n');
        const matched = keygenFind(plain, name).map((m) => ({ ...m, key: text[m.line - 1].trim().split(/\s+/)[m.marker ? 3 : 2] }));
        const expected = matched.some((m) => m.marker === 'REVOKED' && m.key === keys[key].b64) ? 'HostKeyRevoked'
          : matched.some((m) => !m.marker && m.key === keys[key].b64) ? 'known'
          // any other key known for the host: changed, whatever its type (what ssh itself says: host-key-decisions.test.ts)
          : matched.some((m) => !m.marker) ? 'HostKeyMismatch' : 'HostKeyUnknown';
        const policy: HostKeyPolicy = {
          alias: name, hostName: name, port: 22, hostKeyAlias: name, knownHostsFiles: [plain], globalKnownHostsFiles: [],
          strictHostKeyChecking: 'yes', hashKnownHosts: false,
        };
        let got: string;
        try {
          got = (await verifyHostKey(policy, blob)).status;
        } catch (e) {
          got = isTroubleshooterError(e) ? e.code : String(e);
        }
        assert.equal(got, expected);
      });
    }
  }
});
