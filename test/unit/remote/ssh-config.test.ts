import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isTroubleshooterError } from '../../../src/core/errors';
import { SshConfigResolver } from '../../../src/core/remote/ssh-config';

const HOME = '/home/op';
const fixture = resolve(__dirname, '..', '..', 'fixtures', 'remote', 'lab-ssh-config');

function cfg(text: string, env: NodeJS.ProcessEnv = {}) {
  return new SshConfigResolver({ text, home: HOME, env, localUser: 'op' });
}

describe('ssh config resolution', () => {
  it('resolves the lab config shape: shared block, HostName, one ProxyJump hop', () => {
    const r = new SshConfigResolver({ text: readFileSync(fixture, 'utf8'), home: HOME, env: {}, localUser: 'op' });
    const c1 = r.resolve('compute1');
    assert.equal(c1.hostName, '198.18.0.11');
    assert.equal(c1.user, 'root');
    assert.equal(c1.port, 22);
    assert.deepEqual(c1.identityFiles, [`${HOME}/lab/ssh/id_ed25519`]);
    assert.equal(c1.identitiesOnly, true);
    assert.deepEqual(c1.knownHostsFiles, [`${HOME}/lab/ssh/known_hosts`]);
    assert.deepEqual(c1.globalKnownHostsFiles, ['/dev/null']);
    assert.equal(c1.strictHostKeyChecking, 'yes');
    assert.equal(c1.connectTimeoutMs, 5000);
    assert.equal(c1.jump, undefined);
    const j = r.resolve('compute2-jump');
    assert.equal(j.hostName, '198.19.0.2');
    assert.equal(j.jump?.alias, 'controller');
    assert.equal(j.jump?.hostName, '198.18.0.10');
    assert.equal(j.key, 'root@198.19.0.2:22 via root@198.18.0.10:22');
    assert.deepEqual(r.aliases().sort(), ['compute1', 'compute2', 'compute2-jump', 'controller', 'network1']);
  });

  it('first value wins, Host patterns and negation', () => {
    const r = cfg(`
Host *.mgmt !bastion.mgmt
  User ops
  Port 2201
Host compute-?.mgmt
  Port 2222
Host *
  User fallback
  ServerAliveInterval 30
`);
    const a = r.resolve('compute-1.mgmt');
    assert.equal(a.user, 'ops');
    assert.equal(a.port, 2201, 'first obtained value wins');
    assert.equal(a.serverAliveIntervalMs, 30_000);
    const b = r.resolve('bastion.mgmt');
    assert.equal(b.user, 'fallback', 'negated pattern excludes the whole Host line');
    assert.equal(b.port, 22);
    assert.equal(r.resolve('other').user, 'fallback');
    assert.equal(cfg('').resolve('x').user, 'op', 'default user is the local user');
  });

  it('expands ~ and the %h %p %r %u %n %d %l %C %% tokens and ${ENV}', () => {
    const r = cfg(`
Host c1
  HostName %h.example.org
  User admin
  Port 2022
  IdentityFile ~/.ssh/%r@%h:%p
  IdentityFile %d/keys/%u-%n-%%
  IdentityFile \${KEYDIR}/id
  UserKnownHostsFile ~/.ssh/kh-%n %d/kh2
  IdentityAgent \${XDG_RUNTIME_DIR}/agent.sock
  CertificateFile ~/.ssh/%C
`, { KEYDIR: '/keys', XDG_RUNTIME_DIR: '/run/user/1000' });
    const t = r.resolve('c1');
    assert.equal(t.hostName, 'c1.example.org');
    assert.deepEqual(t.identityFiles, [
      `${HOME}/.ssh/admin@c1.example.org:2022`,
      `${HOME}/keys/op-c1-%`,
      '/keys/id',
    ]);
    assert.deepEqual(t.knownHostsFiles, [`${HOME}/.ssh/kh-c1`, `${HOME}/kh2`]);
    assert.equal(t.agentSocket, '/run/user/1000/agent.sock');
    // %C as OpenSSH computes it (sha1 of %l%h%p%r), checked through a token-bearing IdentityFile
    const r2 = cfg('Host c2\n HostName h\n User u\n IdentityFile ~/%C\n');
    assert.deepEqual(r2.resolve('c2').identityFiles, [`${HOME}/${createHash('sha1').update(`${hostname()}h22u`).digest('hex')}`]);
  });

  it('default identity files, agent from SSH_AUTH_SOCK, IdentityAgent none', () => {
    const t = cfg('Host a\n', { SSH_AUTH_SOCK: '/tmp/agent.1' }).resolve('a');
    assert.equal(t.identityFilesExplicit, false);
    assert.ok(t.identityFiles.includes(`${HOME}/.ssh/id_ed25519`));
    assert.equal(t.agentSocket, '/tmp/agent.1');
    assert.deepEqual(t.knownHostsFiles, [`${HOME}/.ssh/known_hosts`, `${HOME}/.ssh/known_hosts2`]);
    assert.equal(t.strictHostKeyChecking, 'ask');
    assert.equal(cfg('Host a\n IdentityAgent none\n', { SSH_AUTH_SOCK: '/tmp/agent.1' }).resolve('a').agentSocket, undefined);
    assert.equal(cfg('Host a\n IdentityAgent SSH_AUTH_SOCK\n', { SSH_AUTH_SOCK: '/tmp/agent.2' }).resolve('a').agentSocket, '/tmp/agent.2');
  });

  it('resolves a multi-hop ProxyJump chain: each hop through the previous, the first with its own config', () => {
    const r = cfg(`
Host target
  HostName 10.0.0.5
  ProxyJump jumpadmin@bastion:2200,inner
Host bastion
  HostName bastion.example.org
  ProxyJump edge
Host edge
  HostName 203.0.113.1
Host inner
  HostName 10.0.0.1
  ProxyJump ignored-for-later-hops
  User innerop
`);
    const t = r.resolve('target');
    assert.equal(t.jump?.alias, 'inner');
    assert.equal(t.jump?.user, 'innerop');
    const bastion = t.jump?.jump;
    assert.equal(bastion?.alias, 'bastion');
    assert.equal(bastion?.user, 'jumpadmin', 'user@ in ProxyJump wins');
    assert.equal(bastion?.port, 2200);
    assert.equal(bastion?.jump?.alias, 'edge', 'the first hop keeps its own ProxyJump');
    assert.equal(bastion?.jump?.jump, undefined);
    assert.equal(t.key, 'op@10.0.0.5:22 via innerop@10.0.0.1:22 via jumpadmin@bastion.example.org:2200 via op@203.0.113.1:22');
    assert.equal(cfg('Host a\n ProxyJump none\n').resolve('a').jump, undefined);
    assert.equal(cfg('Host a\n ProxyJump ssh://u@[fd00::1]:2222\n').resolve('a').jump?.hostName, 'fd00::1');
  });

  it('refuses ProxyJump loops, bad numbers and option-like aliases; keeps ProxyCommand as written', () => {
    assert.throws(() => cfg('Host a\n ProxyJump b\nHost b\n ProxyJump a\n').resolve('a'), (e) => isTroubleshooterError(e, 'ConfigInvalid'));
    assert.throws(() => cfg('Host *\n ProxyJump bastion\n').resolve('a'), (e) => isTroubleshooterError(e, 'ConfigInvalid') && /leads to itself/.test(e.message));
    const pc = cfg('Host a\n ProxyCommand nc %h %p\nHost *\n ProxyJump b\n').resolve('a');
    assert.equal(pc.proxyCommand, 'nc %h %p');
    assert.equal(pc.jump, undefined, 'the ProxyCommand set first wins over a later ProxyJump');
    assert.equal(pc.key, 'op@a:22 via ProxyCommand nc %h %p');
    assert.throws(() => cfg('Host a\n Port twenty\n').resolve('a'), (e) => isTroubleshooterError(e, 'ConfigInvalid') && /Port/.test(e.message));
    assert.throws(() => cfg('').resolve('-oProxyCommand=x'), (e) => isTroubleshooterError(e, 'InvalidInput'));
    assert.throws(() => cfg('Host a\n IdentityFile %z\n').resolve('a'), (e) => isTroubleshooterError(e, 'ConfigInvalid'));
  });

  it('StrictHostKeyChecking spellings and HashKnownHosts', () => {
    const s = (v: string) => cfg(`Host a\n StrictHostKeyChecking ${v}\n HashKnownHosts yes\n`).resolve('a');
    assert.equal(s('accept-new').strictHostKeyChecking, 'accept-new');
    assert.equal(s('no').strictHostKeyChecking, 'no');
    assert.equal(s('off').strictHostKeyChecking, 'no');
    assert.equal(s('yes').strictHostKeyChecking, 'yes');
    assert.equal(s('ask').strictHostKeyChecking, 'ask');
    assert.equal(s('ask').hashKnownHosts, true);
  });

  it('reads the file, Include (relative to ~/.ssh and globbed), and a missing file is an empty config', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ost-sshcfg-'));
    try {
      mkdirSync(join(dir, '.ssh', 'conf.d'), { recursive: true });
      writeFileSync(join(dir, '.ssh', 'conf.d', '10-lab.conf'), 'Host lab1\n  HostName 198.18.0.11\n');
      writeFileSync(join(dir, '.ssh', 'conf.d', '20-lab.conf'), 'Host lab2\n  HostName 198.18.0.12\n');
      writeFileSync(join(dir, 'config'), 'Include conf.d/*.conf\nHost *\n  User ops\n');
      const r = new SshConfigResolver({ configFile: join(dir, 'config'), home: dir, env: {}, localUser: 'op' });
      assert.deepEqual(r.aliases().sort(), ['lab1', 'lab2']);
      assert.equal(r.resolve('lab1').hostName, '198.18.0.11');
      assert.equal(r.resolve('lab2').hostName, '198.18.0.12');
      assert.equal(r.resolve('lab2').user, 'ops');
      const none = new SshConfigResolver({ configFile: join(dir, 'missing'), home: HOME, env: {}, localUser: 'op' });
      assert.equal(none.resolve('h').hostName, 'h');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a file the user named (--ssh-config, like ssh -F) must exist; devices and unreadable Includes are errors too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ost-sshcfg-'));
    try {
      const named = (configFile: string) => () => new SshConfigResolver({ configFile, configFileRequired: true, home: HOME, env: {}, localUser: 'op' });
      assert.throws(named(join(dir, 'nonexistent')), (e) => isTroubleshooterError(e, 'ConfigInvalid') && e.message === `Cannot open the SSH config file (no such file): "${join(dir, 'nonexistent')}".`);
      assert.throws(named('/dev/zero'), (e) => isTroubleshooterError(e, 'ConfigInvalid') && e.message === 'Cannot use the SSH config file: not a regular file (a character device): "/dev/zero".');
      assert.throws(named(dir), (e) => isTroubleshooterError(e, 'ConfigInvalid') && /directory/.test(e.message));
      writeFileSync(join(dir, 'config'), 'Include /dev/zero\nHost *\n  User ops\n');
      assert.throws(named(join(dir, 'config')), (e) => isTroubleshooterError(e, 'ConfigInvalid') && /"\/dev\/zero"/.test(e.message));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
