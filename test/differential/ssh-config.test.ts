import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { spawnProxyCommand } from '../../src/core/remote/proxy-command';
import { SshConfigResolver, type SshTarget } from '../../src/core/remote/ssh-config';
import { LOCAL_USER, cleanTempDirs, sshConnectOnce, sshG, sshGStatus, sshIdentityFiles, sshIsolationProblem, tempDir, writeFiles } from './support/tools';

/**
 * ssh config: each case writes a config (and any included files) into a fresh temporary home, asks OpenSSH
 * (`ssh -G -F <file> <host>`, and `ssh -v` for the identity files it really loads) and compares the fields our
 * resolver gives the pool. `HOME` placeholders in the texts are the case's home.
 */

interface Case {
  name: string;
  /** The config named with -F (written to HOME/cfg/config unless `at` says otherwise). */
  config: string;
  /** Where the config file goes, relative to the home (default "cfg/config"). */
  at?: string;
  /** Other files, relative to the home. */
  files?: Record<string, string>;
  /** Hosts asked about (each is compared). */
  hosts: string[];
  /** Run `Match exec` (off by default in our resolver). */
  matchExec?: boolean;
  /** Also compare the identity files OpenSSH loads (ssh -v). */
  identities?: boolean;
}

const CASES: Case[] = [
  { name: 'a plain alias: HostName, User, Port', config: 'Host web\n  HostName 192.0.2.10\n  User admin\n  Port 2222\n', hosts: ['web', 'other'] },
  { name: 'a host without any block: its own name, lowercased', config: 'Host x\n  User y\n', hosts: ['MyHost.Example', 'plain'] },
  { name: 'HostName with capitals is lowercased', config: 'Host db\n  HostName DB-1.Example.COM\n', hosts: ['db'] },
  { name: 'Host patterns are case-sensitive against the name typed', config: 'Host bee\n  User lower\nHost Bee\n  User capital\n', hosts: ['bee', 'Bee', 'BEE'] },
  { name: '? matches exactly one character', config: 'Host node?\n  Port 2201\nHost node??\n  Port 2202\n', hosts: ['node1', 'node12', 'node', 'node123'] },
  { name: '* in the middle and at both ends', config: 'Host c*te-*.mgmt\n  User ops\nHost *db*\n  User dba\n', hosts: ['compute-1.mgmt', 'cte-.mgmt', 'mydbhost', 'compute-1.other'] },
  { name: 'a negated pattern excludes the whole line', config: 'Host *.mgmt !bastion.mgmt\n  User ops\nHost *\n  User other\n', hosts: ['a.mgmt', 'bastion.mgmt'] },
  { name: 'a line of only negations never matches', config: 'Host !foo\n  User neg\n', hosts: ['bar', 'foo'] },
  { name: 'first obtained value wins across blocks', config: 'Host web\n  Port 2201\n  User first\nHost web\n  Port 2202\n  User second\n  HostName second.example\n', hosts: ['web'] },
  { name: 'Host * first: its values win over a later specific block', config: 'Host *\n  User star\nHost web\n  User specific\n  HostName web.example\n', hosts: ['web'] },
  { name: 'keywords in any case, "=" separators, tabs', config: 'HOST\tweb\n  hostname=web.example\n  USER = root2\n  port\t2200\n', hosts: ['web'] },
  { name: 'quoted values and comments', config: '# a comment\nHost "web"\n  HostName "web.example"   # trailing words are not allowed, so none here\n  User "quoted user"\n', hosts: ['web'] },
  { name: 'blank lines, comments and trailing spaces', config: '\n\n# comment\nHost web   \n\n  # inside\n  User u1   \n\n', hosts: ['web'] },
  { name: 'HostName %h expands to the name typed', config: 'Host *.lab\n  HostName %h.internal.example\n', hosts: ['compute1.lab'] },
  { name: 'HostName %% is a literal percent', config: 'Host pct\n  HostName a%%b\n', hosts: ['pct'] },
  { name: 'several patterns on one Host line', config: 'Host alpha beta gamma\n  User greek\n', hosts: ['beta', 'delta'] },
  { name: 'options before any Host line apply to every host', config: 'User global\nPort 2022\nHost web\n  User ignored\n', hosts: ['web'] },
  { name: 'Match host after a lowercase "hostname" keyword matches the HostName', config: 'Host web\n  hostname web.internal\nMatch host *.internal\n  User internal\n', hosts: ['web'] },
  { name: 'Match host compares the HostName, not the alias', config: 'Host web\n  HostName 10.0.0.5\nMatch host web\n  User byalias\nMatch host 10.0.0.*\n  Port 2200\n', hosts: ['web'] },
  { name: 'Match originalhost compares the name typed', config: 'Host web\n  HostName 10.0.0.5\nMatch originalhost web\n  User orig\n', hosts: ['web'] },
  { name: 'Match host is case-insensitive and takes comma lists with negation', config: 'Match host *.EXAMPLE,!skip.example\n  User listed\n', hosts: ['a.example', 'skip.example', 'a.other'] },
  { name: 'Match user compares the remote user known so far', config: 'Host web\n  User deploy\nMatch user deploy\n  Port 2201\nMatch user nobody\n  Port 2202\n', hosts: ['web', 'x'] },
  { name: 'Match localuser', config: `Match localuser ${LOCAL_USER}\n  Port 2301\n`, hosts: ['any'] },
  { name: 'Match all', config: 'Host web\n  User w\nMatch all\n  User all\n  Port 2400\n', hosts: ['web', 'x'] },
  { name: 'Match with a negated criterion', config: 'Match !host web\n  User notweb\n', hosts: ['web', 'db'] },
  { name: 'Match with two criteria must satisfy both', config: 'Match host *.lab user admin\n  Port 2500\nHost *.lab\n  User admin\n', hosts: ['a.lab'] },
  { name: 'Match final re-reads the config with the final HostName', config: 'Host web\n  HostName web.final\nMatch final host *.final\n  User finaluser\n', hosts: ['web', 'x'] },
  { name: 'Match canonical only in the final pass', config: 'Match canonical\n  User canon\nMatch final\n  Port 2600\n', hosts: ['x'] },
  { name: 'Match exec runs the command with tokens', config: 'Match exec "test %h = yes.example"\n  User execd\n', hosts: ['yes.example', 'no.example'], matchExec: true },
  { name: 'ProxyJump one hop', config: 'Host target\n  HostName 10.1.0.5\n  ProxyJump bastion\nHost bastion\n  HostName bastion.example\n  User jump\n', hosts: ['target'] },
  { name: 'ProxyJump chain with users and ports per hop', config: 'Host target\n  ProxyJump ops@hop1:2201,hop2\nHost hop1\n  HostName hop1.example\n  User ignored\n  Port 2299\nHost hop2\n  HostName hop2.example\n  ProxyJump neverused\n', hosts: ['target'] },
  { name: 'ProxyJump as ssh:// URIs', config: 'Host target\n  ProxyJump ssh://root@hopa:2022,ssh://hopb\n', hosts: ['target'] },
  { name: 'ProxyJump: the first hop keeps its own ProxyJump', config: 'Host target\n  ProxyJump inner\nHost inner\n  ProxyJump outer\nHost outer\n  HostName outer.example\n', hosts: ['target'] },
  { name: 'ProxyCommand set first wins over a later Host * ProxyJump', config: 'Host legacy\n  ProxyCommand ssh -W %h:%p gw\nHost *\n  ProxyJump bastion\n', hosts: ['legacy', 'modern'] },
  { name: 'ProxyJump set first wins over a later ProxyCommand', config: 'Host modern\n  ProxyJump bastion\nHost *\n  ProxyCommand nc %h %p\n', hosts: ['modern', 'other'] },
  { name: 'ProxyJump none blocks later proxies', config: 'Host direct\n  ProxyJump none\nHost *\n  ProxyJump bastion\n  ProxyCommand nc %h %p\n', hosts: ['direct', 'other'] },
  { name: 'ProxyCommand none blocks a later ProxyJump', config: 'Host direct\n  ProxyCommand none\nHost *\n  ProxyJump bastion\n', hosts: ['direct'] },
  { name: 'ProxyCommand keeps the rest of the line as written', config: 'Host pc\n  ProxyCommand sh -c "exec nc %h %p"  # not a comment for ssh\n', hosts: ['pc'] },
  {
    name: 'Include with an absolute path',
    config: 'Include HOME/extra/hosts.conf\nHost *\n  User fallback\n',
    files: { 'extra/hosts.conf': 'Host inc\n  HostName inc.example\n  User incuser\n' },
    hosts: ['inc', 'other'],
  },
  {
    name: 'Include with a relative path resolves against ~/.ssh',
    config: 'Include rel.conf\n',
    files: { '.ssh/rel.conf': 'Host rel\n  User fromdotssh\n', 'cfg/rel.conf': 'Host rel\n  User fromcfgdir\n' },
    hosts: ['rel'],
  },
  {
    name: 'Include inside a non-matching Host block contributes nothing',
    config: 'Host other\n  Include inner.conf\nHost *\n  Port 2700\n',
    files: { '.ssh/inner.conf': 'User innertop\nHost web\n  User innerweb\n  Port 2701\n' },
    hosts: ['web', 'other'],
  },
  {
    name: 'after an Include the enclosing Host block applies again',
    config: 'Host web\n  Include inner.conf\n  User afterinclude\n  Port 2801\n',
    files: { '.ssh/inner.conf': 'Host db\n  Port 2802\n  HostName db.example\n' },
    hosts: ['web', 'db'],
  },
  {
    name: 'Include globs, read in sorted order',
    config: 'Include conf.d/*.conf\n',
    files: { '.ssh/conf.d/20-b.conf': 'Host g\n  User second\n  Port 2902\n', '.ssh/conf.d/10-a.conf': 'Host g\n  User first\n', '.ssh/conf.d/skip.txt': 'Host g\n  Port 2999\n' },
    hosts: ['g'],
  },
  {
    name: 'Include nested, with ~/ paths, and a missing file is ignored',
    config: 'Include ~/one.conf missing.conf\n',
    files: { 'one.conf': 'Include two.conf\nHost n\n  User one\n', '.ssh/two.conf': 'Host n\n  Port 3001\n' },
    hosts: ['n'],
  },
  { name: 'the default identity files', config: 'Host x\n  User y\n', hosts: ['x'], identities: true },
  {
    name: 'IdentityFile tokens and ~',
    config: 'Host id\n  HostName id.example\n  User idu\n  Port 2222\n  IdentityFile ~/.ssh/%h_%r_%p\n  IdentityFile %d/keys/%u-%n\n  IdentityFile relative_key\n',
    hosts: ['id'],
    identities: true,
  },
  { name: 'IdentityFile accumulates across blocks', config: 'Host acc\n  IdentityFile ~/.ssh/one\nHost *\n  IdentityFile ~/.ssh/two\n', hosts: ['acc'], identities: true },
  {
    name: 'UserKnownHostsFile and GlobalKnownHostsFile lists with tokens',
    config: 'Host kh\n  HostName kh.example\n  UserKnownHostsFile ~/.ssh/kh_%h ~/.ssh/kh_all\n  GlobalKnownHostsFile /dev/null\n',
    hosts: ['kh', 'other'],
  },
  { name: 'UserKnownHostsFile none', config: 'Host nokh\n  UserKnownHostsFile none\n', hosts: ['nokh'] },
  { name: 'StrictHostKeyChecking spellings', config: 'Host s1\n  StrictHostKeyChecking accept-new\nHost s2\n  StrictHostKeyChecking off\nHost s3\n  StrictHostKeyChecking true\nHost s4\n  StrictHostKeyChecking false\n', hosts: ['s1', 's2', 's3', 's4', 's5'] },
  { name: 'HashKnownHosts, HostKeyAlias, IdentitiesOnly', config: 'Host h\n  HashKnownHosts yes\n  HostKeyAlias alias.example\n  IdentitiesOnly yes\n', hosts: ['h', 'other'] },
  { name: 'ConnectTimeout and ServerAlive settings', config: 'Host t\n  ConnectTimeout 7\n  ServerAliveInterval 20\n  ServerAliveCountMax 5\n', hosts: ['t', 'other'] },
  { name: 'the lab shape: shared block, HostName, a jump host', config: 'Host controller compute1 compute2\n  User root\n  IdentityFile ~/lab/id_ed25519\n  IdentitiesOnly yes\n  StrictHostKeyChecking yes\n  UserKnownHostsFile ~/lab/known_hosts\nHost controller\n  HostName 198.18.0.10\nHost compute1\n  HostName 198.18.0.11\nHost compute2\n  HostName 198.18.0.12\n  ProxyJump controller\n', hosts: ['compute1', 'compute2'], identities: true },
];

/**
 * Deliberate differences from OpenSSH, each documented in the README. The ones that can be shown are run against
 * ssh too (so the table stays true); options we do not use at all are listed as skipped.
 */
const NOT_MODELLED: { option: string; why: string }[] = [
  { option: 'CertificateFile', why: 'user certificates are not offered; keys from IdentityFile and the agent are' },
  { option: 'CanonicalizeHostname', why: 'no DNS canonicalization; names go to the resolver as written (its Match canonical pass is modelled)' },
  { option: 'HostKeyAlgorithms / KexAlgorithms / Ciphers / MACs', why: "ssh2's own algorithm lists, with the host key types known_hosts has for the host first" },
  { option: 'ForwardAgent, LocalForward, RemoteForward, DynamicForward', why: 'no forwarding: the extension runs commands and SFTP only' },
  { option: 'ControlMaster / ControlPath', why: 'the pool keeps its own connections (one per target); OpenSSH masters are not joined' },
];

describe('differential: ssh config, deliberate differences', function () {
  this.timeout(60_000);
  after(cleanTempDirs);
  for (const d of NOT_MODELLED) it.skip(`${d.option}: not modelled (${d.why})`, () => {});

  it('Match exec does not run unless allowed (matchExec): a config cannot start programs behind the user\'s back', () => {
    const home = tempDir('ssh');
    const file = join(home, 'cfg/config');
    writeFiles(home, { 'cfg/config': 'Match exec "true"\n  User execd\n', '.ssh/.keep': '' });
    assert.equal(sshG(file, 'h', home).get('user')?.[0], 'execd', 'ssh runs it');
    const off = new SshConfigResolver({ configFile: file, home, env: {}, localUser: LOCAL_USER }).resolve('h');
    assert.equal(off.user, LOCAL_USER, 'not run by default');
    const on = new SshConfigResolver({ configFile: file, home, env: {}, localUser: LOCAL_USER, matchExec: true }).resolve('h');
    assert.equal(on.user, 'execd', 'run when allowed');
  });
});

/** ssh -G's spelling of our target's fields. */
function ours(t: SshTarget): Record<string, string> {
  const out: Record<string, string> = {
    hostname: t.hostName,
    port: String(t.port),
    user: t.user,
    identitiesonly: t.identitiesOnly ? 'yes' : 'no',
    userknownhostsfile: t.knownHostsFiles.length ? t.knownHostsFiles.join(' ') : 'none',
    globalknownhostsfile: t.globalKnownHostsFiles.length ? t.globalKnownHostsFiles.join(' ') : 'none',
    stricthostkeychecking: t.strictHostKeyChecking === 'yes' ? 'true' : t.strictHostKeyChecking === 'no' ? 'false' : t.strictHostKeyChecking,
    hashknownhosts: t.hashKnownHosts ? 'yes' : 'no',
    connecttimeout: t.connectTimeoutMs === undefined ? 'none' : String(t.connectTimeoutMs / 1000),
    serveraliveinterval: String((t.serverAliveIntervalMs ?? 0) / 1000),
    serveralivecountmax: String(t.serverAliveCountMax),
  };
  if (t.hostKeyAlias) out.hostkeyalias = t.hostKeyAlias;
  if (t.proxyJump) out.proxyjump = t.proxyJump;
  if (t.proxyCommand) out.proxycommand = t.proxyCommand;
  return out;
}

function theirs(g: Map<string, string[]>, keys: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keys) {
    const v = g.get(k);
    if (v) out[k] = v.join(' ');
  }
  return out;
}

const COMPARED = ['hostname', 'port', 'user', 'identitiesonly', 'userknownhostsfile', 'globalknownhostsfile', 'stricthostkeychecking',
  'hashknownhosts', 'connecttimeout', 'serveraliveinterval', 'serveralivecountmax', 'hostkeyalias', 'proxyjump', 'proxycommand'];

/** The hops ssh would take for a ProxyJump value, each as `ssh -G` sees it (`-l`/`-p`/`-J` as ssh passes them). */
function hopsBySsh(file: string, spec: string, home: string): { hostname: string; port: string; user: string }[] | undefined {
  const hops = spec.split(',').map((h) => /^(?:ssh:\/\/)?(?:([^@]+)@)?([^:]+)(?::(\d+))?$/.exec(h.trim())!);
  const out = hops.map((m, i) => {
    const extra = [...(m[1] ? ['-l', m[1]] : []), ...(m[3] ? ['-p', m[3]] : []), ...(i > 0 ? ['-J', spec.split(',').slice(0, i).join(',')] : [])];
    if (!sshGStatus(file, m[2], home, extra).ok) return undefined;
    const g = sshG(file, m[2], home, extra);
    return { hostname: g.get('hostname')![0], port: g.get('port')![0], user: g.get('user')![0] };
  });
  return out.every((h) => h !== undefined) ? (out as { hostname: string; port: string; user: string }[]) : undefined;
}

function chainOf(t: SshTarget): { hostname: string; port: string; user: string }[] {
  const out: { hostname: string; port: string; user: string }[] = [];
  for (let j = t.jump; j; j = j.jump) out.unshift({ hostname: j.hostName, port: String(j.port), user: j.user });
  return out;
}

describe('differential: ssh config against OpenSSH (ssh -G)', function () {
  this.timeout(60_000);
  before(function () {
    const why = sshIsolationProblem();
    if (why) throw new Error(`The differential tier needs OpenSSH run with a private home: ${why}.`);
  });
  after(cleanTempDirs);

  for (const c of CASES) {
    for (const host of c.hosts) {
      it(`${c.name} [${host}]`, () => {
        const home = tempDir('ssh');
        const sub = (s: string) => s.replaceAll('HOME', home);
        const file = join(home, c.at ?? 'cfg/config');
        writeFiles(home, { [c.at ?? 'cfg/config']: sub(c.config), '.ssh/.keep': '' });
        for (const [p, t] of Object.entries(c.files ?? {})) writeFiles(home, { [p]: sub(t) });

        const resolver = new SshConfigResolver({ configFile: file, configFileRequired: true, home, env: {}, localUser: LOCAL_USER, matchExec: c.matchExec });
        const status = sshGStatus(file, host, home);
        if (!status.ok) {
          assert.throws(() => resolver.resolve(host), `OpenSSH refuses the config (${status.stderr}); we must too`);
          return;
        }
        const g = sshG(file, host, home);
        const pj = g.get('proxyjump')?.[0];
        const hops = pj && pj !== 'none' ? hopsBySsh(file, pj, home) : [];
        if (!hops) {
          assert.throws(() => resolver.resolve(host), 'OpenSSH refuses a jump host of this config (a loop); we must too');
          return;
        }
        const t = resolver.resolve(host);
        assert.deepEqual(ours(t), theirs(g, COMPARED));
        // The hops named by ProxyJump (the first one may have hops of its own before it).
        if (hops.length) assert.deepEqual(chainOf(t).slice(-hops.length), hops, 'the ProxyJump hops');
        if (c.identities) assert.deepEqual(t.identityFiles, sshIdentityFiles(file, host, home), 'the identity files ssh loads');
      });
    }
  }
});

/**
 * ProxyCommand: ssh runs it (its shell, `exec`, tokens and ${VAR} expanded) and so do we; each side's command writes
 * what it was given into a file (OUT), and the two files must be equal. The writes happen while the command's stdout
 * is still open (`; true`): ssh ends the proxy as soon as its stdout closes.
 */
const PROXY_CASES: { name: string; config: string; host: string }[] = [
  { name: 'tokens %h %p %r %n %% and ${VAR} through sh -c', host: 'x', config: 'Host x\n  HostName X.Example\n  User bob\n  Port 2222\n  ProxyCommand sh -c "printf \'%%s|\' %h %p %r %n %%%% ${LANG} > OUT; true"\n' },
  { name: '%k is HostKeyAlias when set', host: 'y', config: 'Host y\n  HostKeyAlias alias.example\n  ProxyCommand sh -c "printf \'%%s|\' %k %h > OUT; true"\n' },
  { name: '%k is the name typed without HostKeyAlias', host: 'Typed', config: 'Host *\n  ProxyCommand sh -c "printf \'%%s|\' %k %n %h > OUT; true"\n' },
  { name: 'the shell handles quotes, pipes and redirections as written', host: 'z', config: 'Host z\n  HostName z.example\n  ProxyCommand echo \'single %h\' "double %p" | tr a-z A-Z > OUT\n' },
  { name: 'a Host * ProxyCommand after a specific HostName', host: 'db', config: 'Host db\n  HostName 10.0.0.7\nHost *\n  User ops\n  ProxyCommand sh -c "printf \'%%s@%%s:%%s\' %r %h %p > OUT; true"\n' },
];

describe('differential: ProxyCommand as OpenSSH runs it', function () {
  this.timeout(60_000);
  before(function () {
    const why = sshIsolationProblem();
    if (why) throw new Error(`The differential tier needs OpenSSH run with a private home: ${why}.`);
  });
  after(cleanTempDirs);

  for (const c of PROXY_CASES) {
    it(c.name, async () => {
      const home = tempDir('proxy');
      const sshOut = join(home, 'ssh.out');
      const ourOut = join(home, 'ours.out');
      writeFiles(home, { 'cfg/ssh': c.config.replaceAll('OUT', sshOut), 'cfg/ours': c.config.replaceAll('OUT', ourOut), '.ssh/.keep': '' });
      sshConnectOnce(join(home, 'cfg/ssh'), c.host, home);
      assert.ok(existsSync(sshOut), 'ssh ran the ProxyCommand');
      const t = new SshConfigResolver({ configFile: join(home, 'cfg/ours'), home, env: {}, localUser: LOCAL_USER }).resolve(c.host);
      const sock = spawnProxyCommand(t, { env: { PATH: process.env.PATH, LANG: 'C' } });
      await new Promise<void>((resolve) => {
        sock.on('close', () => resolve());
        sock.on('end', () => resolve());
        sock.on('error', () => resolve());
        sock.resume();
      });
      assert.equal(readFileSync(ourOut, 'utf8'), readFileSync(sshOut, 'utf8'));
    });
  }
});
