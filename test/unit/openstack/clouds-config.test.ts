import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TroubleshooterError, isTroubleshooterError } from '../../../src/core/errors';
import { authRequestBody } from '../../../src/core/openstack/auth';
import { findCloudsFiles, listCloudNames, loadCloudConfig, type CloudsConfigOptions } from '../../../src/core/openstack/clouds-config';

/** clouds.yaml / secure.yaml / OS_* as openstacksdk reads them, and the errors a user sees for bad input. */

const SECRET = 'S3cr3t-pa55word';

describe('openstack clouds.yaml', function () {
  let root: string;
  let opts: CloudsConfigOptions;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'clouds-'));
    for (const d of ['cwd', 'home/.config/openstack', 'etc']) mkdirSync(join(root, d), { recursive: true });
    opts = { cwd: join(root, 'cwd'), home: join(root, 'home'), systemDirs: [join(root, 'etc')], env: {} };
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const put = (rel: string, text: string) => {
    const p = join(root, rel);
    writeFileSync(p, text);
    return p;
  };
  const cloud = (name: string, user = 'admin') => `clouds:
  ${name}:
    auth:
      auth_url: http://198.18.0.10:5000
      username: ${user}
      password: ${SECRET}
      project_name: admin
`;

  function error(fn: () => unknown): TroubleshooterError {
    try {
      fn();
    } catch (e) {
      assert.ok(isTroubleshooterError(e), `expected a TroubleshooterError, got ${String(e)}`);
      assert.ok(!e.message.includes(SECRET), `secret in message: ${e.message}`);
      assert.ok(!JSON.stringify(e.details).includes(SECRET), 'secret in details');
      assert.ok(!e.message.includes('\n'), 'one line');
      return e;
    }
    assert.fail('expected an error');
  }

  it('searches cwd, then ~/.config/openstack, then /etc/openstack; OS_CLIENT_CONFIG_FILE goes first', () => {
    put('etc/clouds.yaml', cloud('etc'));
    assert.equal(loadCloudConfig(undefined, opts).name, 'etc');
    put('home/.config/openstack/clouds.yml', cloud('home'));
    assert.equal(loadCloudConfig(undefined, opts).name, 'home');
    put('cwd/clouds.yaml', cloud('cwd'));
    assert.equal(loadCloudConfig(undefined, opts).name, 'cwd');
    const explicit = put('explicit.yaml', cloud('explicit'));
    opts.env = { OS_CLIENT_CONFIG_FILE: explicit };
    assert.deepEqual(findCloudsFiles(opts), { clouds: explicit, secure: undefined, vendor: undefined });
    assert.equal(loadCloudConfig(undefined, opts).name, 'explicit');
  });

  it('merges secure.yaml over clouds.yaml and reads every option', () => {
    put(
      'cwd/clouds.yaml',
      `clouds:
  lab:
    region_name: RegionTwo
    regions: [RegionOne, RegionTwo]
    interface: internal
    verify: false
    cacert: /etc/ssl/lab-ca.pem
    compute_api_version: "2.87"
    api_timeout: 12
    auth:
      auth_url: https://keystone.example:5000/v3
      username: admin
      project_name: admin
      user_domain_name: Default
      project_domain_id: default
  other:
    auth: {auth_url: "http://x:5000", username: u, password: p}
`,
    );
    put('home/.config/openstack/secure.yaml', `clouds:\n  lab:\n    auth:\n      password: ${SECRET}\n`);
    opts.env = { OS_CLOUD: 'lab' };
    const c = loadCloudConfig(undefined, opts);
    assert.equal(c.auth.password, SECRET);
    assert.equal(c.auth.userDomainName, 'Default');
    assert.equal(c.auth.projectDomainId, 'default');
    assert.equal(c.regionName, 'RegionOne', 'the first of regions; region_name is not read then (as openstacksdk)');
    assert.deepEqual(c.regions, ['RegionOne', 'RegionTwo']);
    assert.equal(c.interface, 'internal');
    assert.equal(c.verify, false, 'verify: false wins over cacert');
    assert.equal(c.computeApiVersion, '2.87');
    assert.equal(c.timeoutMs, 12_000);
    assert.deepEqual(listCloudNames(opts).sort(), ['lab', 'other']);
  });

  it('OS_* variables form the "envvars" cloud (OS_CLOUD_NAME renames it); domains are not defaulted', () => {
    opts.env = { OS_AUTH_URL: 'http://198.18.0.10:5000/v3', OS_USERNAME: 'demo', OS_PASSWORD: SECRET, OS_PROJECT_NAME: 'demo', OS_REGION_NAME: 'RegionOne', OS_INTERFACE: 'public' };
    const c = loadCloudConfig(undefined, opts);
    assert.equal(c.name, 'envvars');
    assert.equal(c.auth.username, 'demo');
    assert.equal(c.auth.userDomainId, undefined, 'left to Keystone, as the openstack CLI does');
    assert.equal(c.auth.projectDomainId, undefined);
    assert.equal(c.regionName, 'RegionOne');
    opts.env.OS_CLOUD_NAME = 'rc';
    assert.equal(loadCloudConfig('rc', opts).name, 'rc');
  });

  it('application credentials and tokens', () => {
    put(
      'cwd/clouds.yaml',
      `clouds:
  app:
    auth_type: v3applicationcredential
    auth: {auth_url: "http://k:5000", application_credential_id: abc, application_credential_secret: ${SECRET}}
  tok:
    auth_type: token
    auth: {auth_url: "http://k:5000", token: gAAAAABtokenvalue, project_id: p1}
`,
    );
    const app = loadCloudConfig('app', opts);
    assert.deepEqual(authRequestBody(app.authType, app.auth), {
      auth: { identity: { methods: ['application_credential'], application_credential: { id: 'abc', secret: SECRET } } },
    });
    const tok = loadCloudConfig('tok', opts);
    assert.deepEqual(authRequestBody(tok.authType, tok.auth), {
      auth: { identity: { methods: ['token'], token: { id: 'gAAAAABtokenvalue' } }, scope: { project: { id: 'p1' } } },
    });
  });

  it('password body: no domain given, none sent (Keystone answers); default_domain_id fills both', () => {
    put('cwd/clouds.yaml', cloud('lab'));
    const c = loadCloudConfig('lab', opts);
    assert.deepEqual(authRequestBody(c.authType, c.auth), {
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'admin', password: SECRET } } },
        scope: { project: { name: 'admin' } },
      },
    });
    put('cwd/clouds.yaml', cloud('lab').replace('project_name: admin', 'project_name: admin\n      default_domain_id: default'));
    const d = loadCloudConfig('lab', opts);
    assert.deepEqual(authRequestBody(d.authType, d.auth), {
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: SECRET } } },
        scope: { project: { name: 'admin', domain: { id: 'default' } } },
      },
    });
  });

  it('malformed YAML: names the file, the line and the column, without the secret on that line', () => {
    const file = put('cwd/clouds.yaml', `clouds:\n  lab:\n    auth:\n      password: ${SECRET}: oops\n      username: admin\n`);
    const e = error(() => loadCloudConfig('lab', opts));
    assert.equal(e.code, 'ConfigInvalid');
    assert.match(e.message, new RegExp(`^Invalid YAML in "${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}" at line 4, column \\d+: `));
    assert.equal(e.details.line, 4);
  });

  it('tab indentation and duplicate keys are YAML errors with a line', () => {
    put('cwd/clouds.yaml', `clouds:\n  lab:\n    auth:\n      auth_url: http://a\n      auth_url: http://b\n`);
    const e = error(() => loadCloudConfig('lab', opts));
    assert.match(e.message, /at line 5, column \d+: Map keys must be unique/);
  });

  it('unknown cloud: names the file and the known clouds', () => {
    const file = put('cwd/clouds.yaml', cloud('lab') + cloud('lab-demo', 'demo').replace('clouds:\n', ''));
    const e = error(() => loadCloudConfig('nope', opts));
    assert.equal(e.code, 'CloudNotFound');
    assert.equal(e.message, `No cloud named "nope" in "${file}" (known: lab, lab-demo).`);
    const none = error(() => loadCloudConfig(undefined, { ...opts, env: {} }));
    assert.match(none.message, /^Several clouds are defined in ".*"; choose one with --cloud or OS_CLOUD \(known: lab, lab-demo\)\.$/);
  });

  it('missing auth fields: names the cloud, the key and its line', () => {
    const file = put('cwd/clouds.yaml', `clouds:\n  lab:\n    region_name: RegionOne\n    auth:\n      auth_url: http://k:5000\n      username: admin\n`);
    const e = error(() => loadCloudConfig('lab', opts));
    assert.equal(e.code, 'ConfigInvalid');
    assert.equal(e.message, `Cloud "lab" in "${file}" (line 4) is missing the auth key "password".`);
    assert.equal(e.details.key, 'auth.password');

    put('cwd/clouds.yaml', `clouds:\n  lab:\n    auth:\n      username: admin\n      password: ${SECRET}\n`);
    assert.match(error(() => loadCloudConfig('lab', opts)).message, /missing the auth key "auth_url"/);

    put('cwd/clouds.yaml', `clouds:\n  lab:\n    auth_type: v3totp\n    auth: {auth_url: "http://k", username: a, password: ${SECRET}}\n`);
    assert.match(error(() => loadCloudConfig('lab', opts)).message, /\(line 3\) uses an auth type this extension does not support: "v3totp"\.$/);

    put('cwd/clouds.yaml', `clouds:\n  lab:\n    verify: maybe\n    auth: {auth_url: "http://k", username: a, password: ${SECRET}}\n`);
    assert.match(error(() => loadCloudConfig('lab', opts)).message, /"verify" .* at line 3 must be true or false/);
  });

  it('no configuration at all: says where it looked', () => {
    const e = error(() => loadCloudConfig(undefined, opts));
    assert.equal(e.code, 'CloudNotFound');
    assert.match(e.message, /^No cloud is configured: no clouds\.yaml in .*cwd.*and no OS_AUTH_URL\.$/);
  });
});
