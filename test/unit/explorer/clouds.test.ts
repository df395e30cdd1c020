import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listCloudNames, loadCloudConfig } from '../../../src/core/openstack/clouds-config';
import { addCloudEntry, readCloudEntry, removeCloudEntry, validateCloudName } from '../../../src/features/clouds/clouds-file';
import { cloudSecretKey, credentialSecretKey, parseOpenrc } from '../../../src/features/clouds/openrc';

describe('clouds: openrc import', () => {
  it('reads the OS_* variables of a Keystone v3 openrc without running it; the password is kept apart', () => {
    const rc = [
      '# demo-openrc',
      'export OS_AUTH_URL=http://198.18.0.10:5000/v3',
      "export OS_USERNAME='demo'",
      'export OS_PASSWORD="s3cr3t"',
      'export OS_PROJECT_NAME=demo',
      'export OS_USER_DOMAIN_NAME=Default',
      'export OS_PROJECT_DOMAIN_NAME=Default',
      'export OS_REGION_NAME=RegionOne',
      'export OS_IDENTITY_API_VERSION=3',
      'export OS_INTERFACE=public',
    ].join('\n');
    const p = parseOpenrc(rc);
    assert.equal(p.password, 's3cr3t');
    assert.deepEqual(p.entry.auth, { auth_url: 'http://198.18.0.10:5000/v3', username: 'demo', project_name: 'demo', user_domain_name: 'Default', project_domain_name: 'Default' });
    assert.equal(p.entry.region_name, 'RegionOne');
    assert.ok(!JSON.stringify(p.entry).includes('s3cr3t'));
    assert.equal(p.promptsForPassword, false);
  });

  it('notices an openrc that asks for the password (Horizon download)', () => {
    const rc = 'export OS_AUTH_URL=https://k:5000/v3\nexport OS_USERNAME=u\necho "Please enter your OpenStack Password: "\nread -sr OS_PASSWORD_INPUT\nexport OS_PASSWORD=$OS_PASSWORD_INPUT\nexport OS_TENANT_NAME=p\n';
    const p = parseOpenrc(rc);
    assert.equal(p.password, undefined);
    assert.equal(p.promptsForPassword, true);
    assert.equal((p.entry.auth as Record<string, string>).project_name, 'p');
  });

  it('reads the lab\'s own openrc files when present', function () {
    const f = join(__dirname, '..', '..', '..', '.lab', 'openrc-demo');
    if (!existsSync(f)) this.skip();
    const p = parseOpenrc(readFileSync(f, 'utf8'));
    assert.match(String((p.entry.auth as Record<string, string>).auth_url), /^http:\/\/198\.18\.0\.10:5000/);
    assert.ok(p.password);
  });
});

describe('clouds: clouds.yaml edits', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ost-clouds-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('adds an entry without a password, keeps comments and other clouds, creates new files 0600, and openstacksdk-style loading sees it', () => {
    const file = join(dir, 'clouds.yaml');
    writeFileSync(file, '# my clouds\nclouds:\n  prod:  # the big one\n    auth:\n      auth_url: https://prod:5000/v3\n      username: me\n      password: x\n      project_name: ops\n', { mode: 0o640 });
    addCloudEntry(file, 'lab', { auth: { auth_url: 'http://198.18.0.10:5000/v3', username: 'admin', project_name: 'admin', user_domain_name: 'Default', project_domain_name: 'Default' }, region_name: 'RegionOne' });
    const text = readFileSync(file, 'utf8');
    assert.match(text, /^# my clouds/);
    assert.match(text, /# the big one/, 'comments are kept (the yaml library may move a trailing one to its own line)');
    assert.equal(statSync(file).mode & 0o777, 0o640, 'mode kept');
    assert.deepEqual(listCloudNames({ env: { OS_CLIENT_CONFIG_FILE: file }, cwd: dir, home: dir, systemDirs: [] }), ['prod', 'lab']);
    assert.equal(readCloudEntry(file, 'lab')?.region_name, 'RegionOne');
    // without its password the cloud is incomplete; the session injects it from secret storage
    assert.throws(() => loadCloudConfig('lab', { env: { OS_CLIENT_CONFIG_FILE: file }, cwd: dir, home: dir, systemDirs: [] }), (e: { details?: { key?: string } }) => e.details?.key === 'auth.password');
    const fresh = join(dir, 'sub', 'clouds.yaml');
    addCloudEntry(fresh, 'x', { auth: { auth_url: 'http://k:5000/v3' } });
    assert.equal(statSync(fresh).mode & 0o777, 0o600);
  });

  it('refuses duplicates, bad names and passwords; removes entries', () => {
    const file = join(dir, 'clouds.yaml');
    addCloudEntry(file, 'a', { auth: { auth_url: 'http://k:5000/v3' } });
    assert.throws(() => addCloudEntry(file, 'a', { auth: {} }), /already exists/);
    assert.throws(() => addCloudEntry(file, 'b', { auth: { password: 'p' } }), /must not be written/);
    assert.throws(() => addCloudEntry(file, 'bad name', { auth: {} }), /Invalid cloud name/);
    assert.equal(validateCloudName('lab-demo'), undefined);
    const before = readFileSync(file, 'utf8');
    assert.equal(removeCloudEntry(file, 'a'), true);
    assert.equal(readFileSync(`${file}.bak`, 'utf8'), before, 'the file as it was is kept beside it');
    assert.equal(statSync(`${file}.bak`).mode & 0o777, statSync(file).mode & 0o777, 'as private as the file');
    assert.equal(removeCloudEntry(file, 'a'), false);
    assert.equal(readFileSync(`${file}.bak`, 'utf8'), before, 'a removal that removes nothing writes no backup');
    assert.equal(readCloudEntry(file, 'a'), undefined);
    assert.equal(cloudSecretKey('lab'), 'openstack.cloud.lab.password');
  });

  it('a clouds.yaml setting that points at a device is refused, not read without end', () => {
    assert.throws(() => readCloudEntry('/dev/zero', 'lab'), (e: Error) => /^Not a regular file \(a character device\): "\/dev\/zero"\.$/.test(e.message));
  });
});

describe('clouds: stored secrets are keyed by what they authenticate', () => {
  const lab = { auth_url: 'http://198.18.0.10:5000/v3', username: 'admin', user_domain_name: 'Default', project_name: 'admin' };

  it('the same auth_url, user and domain give the same key, whatever the cloud is called and however the URL is written', () => {
    const k = credentialSecretKey(lab, 'password');
    assert.equal(k, 'openstack.credential password http://198.18.0.10:5000/v3 user=name:admin domain=name:Default');
    assert.equal(credentialSecretKey({ ...lab, auth_url: 'HTTP://198.18.0.10:5000/v3/', project_name: 'other' }, 'password'), k, 'the project is not part of who authenticates');
    assert.equal(credentialSecretKey({ ...lab, auth_url: 'http://198.18.0.10:80/v3' }, 'password'), credentialSecretKey({ ...lab, auth_url: 'http://198.18.0.10/v3' }, 'password'), 'default port');
  });

  it('another Keystone, user or domain (a workspace clouds.yaml reusing a cloud name) gets another key', () => {
    const k = credentialSecretKey(lab, 'password');
    for (const other of [
      { ...lab, auth_url: 'https://keystone.attacker.example:5000/v3' },
      { ...lab, auth_url: 'http://198.18.0.10:5001/v3' },
      { ...lab, username: 'demo' },
      { ...lab, user_domain_name: 'ldap' },
      { ...lab, user_id: '0c3a1d5f2b4e4a7e9d8c6b5a4f3e2d1c' },
    ]) assert.notEqual(credentialSecretKey(other, 'password'), k, JSON.stringify(other));
    assert.notEqual(credentialSecretKey(lab, 'application_credential_secret'), k);
  });

  it('application credentials by id (or name and user); nothing to key without an auth_url or a user', () => {
    assert.equal(credentialSecretKey({ auth_url: 'http://k:5000/v3', application_credential_id: 'abc' }, 'application_credential_secret'), 'openstack.credential application_credential_secret http://k:5000/v3 appcred=id:abc user= domain=');
    assert.equal(credentialSecretKey({ username: 'admin' }, 'password'), undefined);
    assert.equal(credentialSecretKey({ auth_url: 'http://k:5000/v3' }, 'password'), undefined);
    assert.equal(credentialSecretKey({ auth_url: 'http://k:5000/v3', username: 'u' }, 'application_credential_secret'), undefined);
    // the key before: by name only, read once to migrate in a trusted workspace
    assert.equal(cloudSecretKey('lab'), 'openstack.cloud.lab.password');
  });
});

describe('package.json: workspace trust', () => {
  const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
    capabilities: { untrustedWorkspaces: { supported: string; restrictedConfigurations: string[] } };
    contributes: { configuration: { properties: Record<string, { scope?: string }> } };
  };
  const props = manifest.contributes.configuration.properties;

  it('is limited in untrusted workspaces; the restricted settings exist; the path settings are machine-scoped', () => {
    const trust = manifest.capabilities.untrustedWorkspaces;
    assert.equal(trust.supported, 'limited');
    for (const k of trust.restrictedConfigurations) assert.ok(props[k], `restricted "${k}" is a contributed setting`);
    for (const k of ['openstack.cloudsYamlPath', 'openstack.ssh.configFile', 'openstack.ssh.knownHostsFile', 'openstack.hosts.map', 'openstack.logs.sources']) {
      assert.ok(trust.restrictedConfigurations.includes(k), `${k} is restricted`);
      assert.equal(props[k].scope, 'machine', `${k} cannot be set by a workspace`);
    }
  });
});
