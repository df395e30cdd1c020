import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadCloudConfig, type CloudConfig } from '../../src/core/openstack/clouds-config';
import { cleanTempDirs, sdkGetOne, sdkPython, tempDir, writeFiles, type SdkAnswer } from './support/tools';

/**
 * clouds.yaml: each case writes its files under a fresh root (ROOT/home is HOME, ROOT/cwd the working folder,
 * ROOT/xdg the only XDG_CONFIG_DIRS entry unless the case sets its own), asks openstacksdk's
 * `OpenStackConfig().get_one(cloud)` with exactly that environment (no other OS_* variable), and compares what our
 * loader gives the session: auth type, the auth keystoneauth sends (default_domain_* folded into the user and
 * project domains as keystoneauth's generic plugins do), region, interface, TLS verification, API versions,
 * endpoint overrides and timeout. When openstacksdk refuses a config, we must refuse it too.
 */

interface Case {
  name: string;
  files: Record<string, string>;
  env?: Record<string, string>;
  cloud?: string;
}

const PW = 'auth:\n      auth_url: http://keystone.example:5000/v3\n      username: alice\n      password: s3cret\n      project_name: demo\n      user_domain_name: Default\n      project_domain_name: Default';
const yaml = (clouds: Record<string, string>) => `clouds:\n${Object.entries(clouds).map(([n, body]) => `  ${n}:\n    ${body}\n`).join('')}`;
const HOMECFG = 'home/.config/openstack/clouds.yaml';
const ENV_PW = {
  OS_AUTH_URL: 'http://env.example:5000/v3', OS_USERNAME: 'envuser', OS_PASSWORD: 'envpw', OS_PROJECT_NAME: 'envproj',
  OS_USER_DOMAIN_NAME: 'Default', OS_PROJECT_DOMAIN_ID: 'default',
};

const CASES: Case[] = [
  { name: 'a password cloud in ~/.config/openstack, named', files: { [HOMECFG]: yaml({ lab: PW }) }, cloud: 'lab' },
  { name: 'the working folder goes before ~/.config/openstack', files: { [HOMECFG]: yaml({ lab: `${PW}\n    region_name: Home` }), 'cwd/clouds.yaml': yaml({ lab: `${PW}\n    region_name: Cwd` }) }, cloud: 'lab' },
  { name: 'XDG_CONFIG_HOME/openstack goes before ~/.config/openstack', files: { [HOMECFG]: yaml({ lab: `${PW}\n    region_name: Home` }), 'xdghome/openstack/clouds.yaml': yaml({ lab: `${PW}\n    region_name: Xdg` }) }, env: { XDG_CONFIG_HOME: 'ROOT/xdghome' }, cloud: 'lab' },
  { name: 'XDG_CONFIG_HOME set, the file only in ~/.config/openstack', files: { [HOMECFG]: yaml({ lab: PW }) }, env: { XDG_CONFIG_HOME: 'ROOT/xdghome' }, cloud: 'lab' },
  { name: 'the XDG_CONFIG_DIRS site folder', files: { 'xdg/openstack/clouds.yaml': yaml({ site: PW }) }, cloud: 'site' },
  { name: 'OS_CLIENT_CONFIG_FILE goes first', files: { [HOMECFG]: yaml({ lab: `${PW}\n    region_name: Home` }), 'elsewhere/my-clouds.yaml': yaml({ lab: `${PW}\n    region_name: Named` }) }, env: { OS_CLIENT_CONFIG_FILE: 'ROOT/elsewhere/my-clouds.yaml' }, cloud: 'lab' },
  { name: 'clouds.yml and clouds.json are read too; .yaml first', files: { 'home/.config/openstack/clouds.json': JSON.stringify({ clouds: { j: { auth: { auth_url: 'http://json.example/v3', username: 'u', password: 'p', user_domain_id: 'default' } } } }), 'cwd/clouds.yml': yaml({ y: PW }) }, cloud: 'y' },
  { name: 'clouds.json alone', files: { 'home/.config/openstack/clouds.json': JSON.stringify({ clouds: { j: { auth: { auth_url: 'http://json.example/v3', username: 'u', password: 'p', user_domain_id: 'default' } } } }) }, cloud: 'j' },
  { name: 'secure.yaml merged over clouds.yaml', files: { [HOMECFG]: yaml({ lab: 'auth:\n      auth_url: http://k.example/v3\n      username: bob\n      user_domain_id: default' }), 'home/.config/openstack/secure.yaml': yaml({ lab: 'auth:\n      password: fromsecure' }) }, cloud: 'lab' },
  { name: 'OS_CLIENT_SECURE_FILE', files: { [HOMECFG]: yaml({ lab: 'auth:\n      auth_url: http://k.example/v3\n      username: bob\n      user_domain_id: default' }), 'sec/s.yaml': yaml({ lab: 'auth:\n      password: fromenvfile' }) }, env: { OS_CLIENT_SECURE_FILE: 'ROOT/sec/s.yaml' }, cloud: 'lab' },
  { name: 'a single cloud is used without naming it', files: { [HOMECFG]: yaml({ only: PW }) } },
  { name: 'OS_CLOUD selects the cloud', files: { [HOMECFG]: yaml({ a: PW, b: `${PW}\n    region_name: B` }) }, env: { OS_CLOUD: 'b' } },
  { name: 'several clouds and no name: refused', files: { [HOMECFG]: yaml({ a: PW, b: PW }) } },
  { name: 'an unknown cloud name: refused', files: { [HOMECFG]: yaml({ a: PW }) }, cloud: 'nope' },
  { name: 'OS_* variables alone form the envvars cloud', files: {}, env: ENV_PW },
  { name: 'the envvars cloud is the default over a clouds.yaml of several clouds', files: { [HOMECFG]: yaml({ a: PW, b: PW }) }, env: ENV_PW },
  { name: 'OS_CLOUD still names a file cloud when OS_* variables are set', files: { [HOMECFG]: yaml({ a: PW, b: `${PW}\n    region_name: B` }) }, env: { ...ENV_PW, OS_CLOUD: 'b' } },
  { name: 'OS_CLOUD_NAME renames the envvars cloud', files: { [HOMECFG]: yaml({ a: PW }) }, env: { ...ENV_PW, OS_CLOUD_NAME: 'fromenv' }, cloud: 'fromenv' },
  { name: 'OS_CLOUD_NAME colliding with a file cloud: refused', files: { [HOMECFG]: yaml({ a: PW }) }, env: { ...ENV_PW, OS_CLOUD_NAME: 'a' }, cloud: 'a' },
  { name: 'only selector variables make no envvars cloud', files: { [HOMECFG]: yaml({ a: PW }) }, env: { OS_REGION_NAME: 'R9' } },
  { name: 'the envvars cloud with ids and a region', files: {}, env: { OS_AUTH_URL: 'http://env.example/v3', OS_USER_ID: 'uid1', OS_PASSWORD: 'pw', OS_PROJECT_ID: 'pid1', OS_REGION_NAME: 'RegionTwo', OS_INTERFACE: 'internal' } },
  { name: 'profile from clouds-public.yaml', files: { 'home/.config/openstack/clouds-public.yaml': 'public-clouds:\n  acme:\n    auth:\n      auth_url: http://acme.example/v3\n    region_name: AcmeOne\n    interface: internal\n', [HOMECFG]: yaml({ mine: 'profile: acme\n    auth:\n      username: u\n      password: p\n      user_domain_name: Default' }) }, cloud: 'mine' },
  { name: 'profile under its old name "cloud"', files: { 'cwd/clouds-public.yaml': 'public-clouds:\n  acme:\n    auth:\n      auth_url: http://acme.example/v3\n', [HOMECFG]: yaml({ mine: 'cloud: acme\n    auth:\n      username: u\n      password: p\n      user_domain_id: default' }) }, cloud: 'mine' },
  { name: 'an unknown profile is ignored', files: { [HOMECFG]: yaml({ mine: `profile: no-such-vendor-profile\n    ${PW}` }) }, cloud: 'mine' },
  { name: 'region_name as a comma list: the first', files: { [HOMECFG]: yaml({ lab: `${PW}\n    region_name: R1,R2` }) }, cloud: 'lab' },
  { name: 'regions list: the first, region_name ignored', files: { [HOMECFG]: yaml({ lab: `${PW}\n    region_name: R2\n    regions: [R1, R2]` }) }, cloud: 'lab' },
  { name: 'regions with values: the first region\'s values apply', files: { [HOMECFG]: yaml({ lab: `${PW}\n    regions:\n      - name: R1\n        values:\n          interface: internal\n          compute_api_version: '2.60'\n      - R2` }) }, cloud: 'lab' },
  { name: 'interface internal', files: { [HOMECFG]: yaml({ lab: `${PW}\n    interface: internal` }) }, cloud: 'lab' },
  { name: 'endpoint_type publicURL (old spelling)', files: { [HOMECFG]: yaml({ lab: `${PW}\n    endpoint_type: admin` }) }, cloud: 'lab' },
  { name: 'identity_api_version 3 as a number', files: { [HOMECFG]: yaml({ lab: `${PW}\n    identity_api_version: 3` }) }, cloud: 'lab' },
  { name: 'domain_id shortcut with a project: both domains', files: { [HOMECFG]: yaml({ lab: 'auth:\n      auth_url: http://k.example/v3\n      username: u\n      password: p\n      project_name: pr\n      domain_id: dom1' }) }, cloud: 'lab' },
  { name: 'domain_name shortcut keeps explicit user_domain_name', files: { [HOMECFG]: yaml({ lab: 'auth:\n      auth_url: http://k.example/v3\n      username: u\n      password: p\n      project_name: pr\n      domain_name: Shared\n      user_domain_name: Users' }) }, cloud: 'lab' },
  { name: 'domain_id without a project: a domain scope', files: { [HOMECFG]: yaml({ lab: 'auth:\n      auth_url: http://k.example/v3\n      username: u\n      password: p\n      user_domain_id: default\n      domain_id: dom1' }) }, cloud: 'lab' },
  { name: 'top-level domain_id with a top-level project', files: { [HOMECFG]: yaml({ lab: 'domain_id: topdom\n    project_name: toppr\n    auth:\n      auth_url: http://k.example/v3\n      username: u\n      password: p' }) }, cloud: 'lab' },
  { name: 'no domain at all: left to Keystone', files: { [HOMECFG]: yaml({ lab: 'auth:\n      auth_url: http://k.example/v3\n      username: u\n      password: p\n      project_name: pr' }) }, cloud: 'lab' },
  { name: 'default_domain_id fills the domains not given', files: { [HOMECFG]: yaml({ lab: 'auth:\n      auth_url: http://k.example/v3\n      username: u\n      password: p\n      project_name: pr\n      project_domain_name: Proj\n      default_domain_id: dd' }) }, cloud: 'lab' },
  { name: 'tenant_name and tenant_id synonyms', files: { [HOMECFG]: yaml({ a: 'auth:\n      auth_url: http://k.example/v3\n      username: u\n      password: p\n      tenant_name: tn\n      user_domain_id: default\n      project_domain_id: default' }) }, cloud: 'a' },
  { name: 'auth keys at the top level are moved into auth', files: { [HOMECFG]: yaml({ a: 'auth_url: http://top.example/v3\n    username: topuser\n    password: toppw\n    user_domain_id: default\n    auth:\n      username: authuser' }) }, cloud: 'a' },
  { name: 'verify false and a cacert', files: { [HOMECFG]: yaml({ a: `${PW}\n    verify: false\n    cacert: /etc/ssl/ca.pem` }) }, cloud: 'a' },
  { name: 'insecure true wins', files: { [HOMECFG]: yaml({ a: `${PW}\n    insecure: true\n    verify: true` }) }, cloud: 'a' },
  { name: 'cacert with ~, cert and key', files: { [HOMECFG]: yaml({ a: `${PW}\n    cacert: ~/ca.pem\n    cert: ~/c.pem\n    key: /k.pem` }) }, cloud: 'a' },
  { name: 'compute_api_version as YAML numbers', files: { [HOMECFG]: yaml({ a: `${PW}\n    compute_api_version: 2.79\n    placement_api_version: 1.10` }) }, cloud: 'a' },
  { name: 'api_timeout and a service timeout', files: { [HOMECFG]: yaml({ a: `${PW}\n    api_timeout: 30`, b: `${PW}\n    compute_timeout: 12` }) }, cloud: 'b' },
  { name: 'endpoint overrides', files: { [HOMECFG]: yaml({ a: `${PW}\n    compute_endpoint_override: http://nova.example:8774/v2.1\n    block_storage_endpoint_override: http://cinder.example/v3` }) }, cloud: 'a' },
  { name: 'application credential', files: { [HOMECFG]: yaml({ a: 'auth_type: v3applicationcredential\n    auth:\n      auth_url: http://k.example/v3\n      application_credential_id: acid\n      application_credential_secret: acs' }) }, cloud: 'a' },
  { name: 'token auth types', files: { [HOMECFG]: yaml({ a: 'auth_type: v3token\n    auth:\n      auth_url: http://k.example/v3\n      token: tok\n      project_id: p1' }) }, cloud: 'a' },
  { name: 'auth_plugin, the old name of auth_type', files: { [HOMECFG]: yaml({ a: 'auth_plugin: v3password\n    auth:\n      auth_url: http://k.example/v3\n      user_id: uid\n      password: p' }) }, cloud: 'a' },
  { name: 'system scope', files: { [HOMECFG]: yaml({ a: 'auth:\n      auth_url: http://k.example/v3\n      username: admin\n      password: p\n      user_domain_id: default\n      system_scope: all' }) }, cloud: 'a' },
];

const AUTH_KEYS: [keyof CloudConfig['auth'], string][] = [
  ['authUrl', 'auth_url'], ['username', 'username'], ['userId', 'user_id'], ['password', 'password'], ['projectName', 'project_name'],
  ['projectId', 'project_id'], ['domainName', 'domain_name'], ['domainId', 'domain_id'], ['systemScope', 'system_scope'], ['token', 'token'],
  ['applicationCredentialId', 'application_credential_id'], ['applicationCredentialName', 'application_credential_name'],
  ['applicationCredentialSecret', 'application_credential_secret'],
];

/** The domain keystoneauth sends for the user / the project: the id when there is one, else the name. */
function domainOf(id?: string, name?: string): string | undefined {
  return id ? `id:${id}` : name ? `name:${name}` : undefined;
}

function fromSdk(a: SdkAnswer) {
  const auth = a.auth ?? {};
  const out: Record<string, unknown> = {};
  for (const [, k] of AUTH_KEYS) if (auth[k] !== undefined && auth[k] !== null) out[k] = String(auth[k]);
  // keystoneauth's generic password/token plugins: user and project domains fall back to default_domain_*.
  const userDomain = auth.username || auth.application_credential_name ? domainOf(auth.user_domain_id ?? auth.default_domain_id, auth.user_domain_name ?? auth.default_domain_name) : undefined;
  const projectDomain = auth.project_name ? domainOf(auth.project_domain_id ?? auth.default_domain_id, auth.project_domain_name ?? auth.default_domain_name) : undefined;
  if (userDomain) out.user_domain = userDomain;
  if (projectDomain) out.project_domain = projectDomain;
  const cert = a.cert ? (Array.isArray(a.cert) ? a.cert : [a.cert]) : [];
  return {
    name: a.name,
    auth_type: a.auth_type,
    auth: out,
    region_name: a.region_name || undefined,
    interface: a.interface,
    verify: a.verify,
    cert,
    compute_api_version: a.compute_api_version ?? undefined,
    placement_api_version: a.placement_api_version ?? undefined,
    identity_api_version: a.identity_api_version ?? undefined,
    endpoint_overrides: a.endpoint_overrides,
    api_timeout: a.api_timeout === null || a.api_timeout === undefined ? undefined : Number(a.api_timeout),
  };
}

function fromOurs(c: CloudConfig) {
  const out: Record<string, unknown> = {};
  for (const [ours, k] of AUTH_KEYS) if (c.auth[ours] !== undefined) out[k] = c.auth[ours];
  const userDomain = c.auth.username || c.auth.applicationCredentialName ? domainOf(c.auth.userDomainId, c.auth.userDomainName) : undefined;
  const projectDomain = c.auth.projectName ? domainOf(c.auth.projectDomainId, c.auth.projectDomainName) : undefined;
  if (userDomain) out.user_domain = userDomain;
  if (projectDomain) out.project_domain = projectDomain;
  return {
    name: c.name,
    auth_type: c.authType,
    auth: out,
    region_name: c.regionName,
    interface: c.interface,
    verify: c.verify ? (c.cacert ?? true) : false,
    cert: c.cert ? (c.key ? [c.cert, c.key] : [c.cert]) : [],
    compute_api_version: c.computeApiVersion,
    placement_api_version: c.placementApiVersion,
    identity_api_version: c.identityApiVersion,
    endpoint_overrides: c.endpointOverrides,
    api_timeout: c.timeoutMs === undefined ? undefined : c.timeoutMs / 1000,
  };
}

/**
 * Deliberate differences: openstacksdk accepts these, we refuse them when loading, each for a reason the README
 * lists. Each is run against openstacksdk too, so the table stays true (if openstacksdk ever refuses one, or we
 * start accepting it, the case fails).
 */
const DELIBERATE: (Case & { why: string; refused: RegExp })[] = [
  { name: 'identity_api_version 2', why: 'Keystone v2.0 was removed from OpenStack (Queens); only v3 is implemented', refused: /only Keystone v3/, files: { [HOMECFG]: yaml({ a: `${PW}\n    identity_api_version: 2` }) }, cloud: 'a' },
  { name: 'an interface that is not public, internal or admin', why: 'openstacksdk fails later, at the first request, with EndpointNotFound; we say so when loading', refused: /must be public, internal or admin/, files: { [HOMECFG]: yaml({ a: `${PW}\n    interface: private` }) }, cloud: 'a' },
  { name: 'no password in the file', why: 'keystoneauth prompts on a terminal; the extension asks once and keeps it in SecretStorage, so loading reports the missing key', refused: /missing the auth key "password"/, files: { [HOMECFG]: yaml({ a: 'auth:\n      auth_url: http://k.example/v3\n      username: u\n      user_domain_id: default' }) }, cloud: 'a' },
  { name: 'an auth_url that is not http(s)', why: 'refused early with the line, instead of a connection error later', refused: /is not an http\(s\) URL/, files: { [HOMECFG]: yaml({ a: 'auth:\n      auth_url: keystone.example:5000\n      username: u\n      password: p' }) }, cloud: 'a' },
  { name: 'a built-in vendor profile', why: 'openstacksdk ships vendor profiles (ovh, rackspace, …) as package data; we read profiles from clouds-public.yaml only', refused: /missing the auth key "auth_url"/, files: { [HOMECFG]: yaml({ a: 'profile: ovh\n    auth:\n      username: u\n      password: p\n      user_domain_id: default' }) }, cloud: 'a' },
  { name: 'an auth type other than password, token and application credential', why: 'only the Keystone v3 methods the extension implements', refused: /does not support: "v3oidcpassword"/, files: { [HOMECFG]: yaml({ a: 'auth_type: v3oidcpassword\n    auth:\n      auth_url: http://k.example/v3\n      username: u\n      password: p\n      identity_provider: idp\n      protocol: oidc\n      client_id: c\n      client_secret: s\n      discovery_endpoint: http://idp.example/.well-known' }) }, cloud: 'a' },
];

describe('differential: clouds.yaml against openstacksdk (OpenStackConfig().get_one)', function () {
  this.timeout(60_000);
  before(function () {
    if (!sdkPython()) throw new Error('The differential tier needs Debian\'s python3-openstacksdk (bash scripts/setup.sh installs it).');
  });
  after(cleanTempDirs);

  for (const c of CASES) {
    it(c.name, () => {
      const root = tempDir('clouds');
      const sub = (s: string) => s.replaceAll('ROOT', root);
      writeFiles(root, { 'home/.keep': '', 'cwd/.keep': '', 'xdg/.keep': '' });
      for (const [p, t] of Object.entries(c.files)) writeFiles(root, { [p]: sub(t) });
      const env: Record<string, string> = { HOME: join(root, 'home'), XDG_CONFIG_DIRS: join(root, 'xdg') };
      for (const [k, v] of Object.entries(c.env ?? {})) env[k] = sub(v);
      const cwd = join(root, 'cwd');
      const sdk = sdkGetOne(c.cloud ?? '', env, cwd);
      const load = () => loadCloudConfig(c.cloud, { env, cwd, home: env.HOME });
      if (!sdk.ok) {
        assert.throws(load, `openstacksdk refuses it (${sdk.error}: ${sdk.message}); we must too`);
        return;
      }
      assert.deepEqual(fromOurs(load()), fromSdk(sdk));
    });
  }

  for (const c of DELIBERATE) {
    it(`deliberate difference: ${c.name} (${c.why})`, () => {
      const root = tempDir('clouds');
      writeFiles(root, { 'home/.keep': '', 'cwd/.keep': '', 'xdg/.keep': '', ...c.files });
      const env: Record<string, string> = { HOME: join(root, 'home'), XDG_CONFIG_DIRS: join(root, 'xdg') };
      const sdk = sdkGetOne(c.cloud ?? '', env, join(root, 'cwd'));
      assert.equal(sdk.ok, true, `openstacksdk accepts it (${sdk.error ?? ''} ${sdk.message ?? ''})`);
      assert.throws(() => loadCloudConfig(c.cloud, { env, cwd: join(root, 'cwd'), home: env.HOME }), (e: Error) => c.refused.test(e.message));
    });
  }
});
