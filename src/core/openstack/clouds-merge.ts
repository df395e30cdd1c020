/**
 * openstacksdk 0.101's `OpenStackConfig.get_one(cloud)` (openstack/config/loader.py) over one cloud's mapping, up
 * to the auth keystoneauth gets: defaults, the `profile` from clouds-public.yaml, the region (the first of `regions`,
 * else of `region_name` split at commas; a region's `values` apply), `magic_fixes` (service timeouts → api_timeout,
 * `endpoint_type` → interface, tenant → project, the auth keys wherever they are written, the `domain_id` /
 * `domain_name` shortcuts), `normalize_keys` (`-` → `_`, numbers → strings) and the auth plugin's own options
 * (a value in `auth` wins over the same key at the top level, which moves into `auth`). The differential tier
 * (test/differential/clouds-yaml.test.ts) holds this to the real openstacksdk.
 */

export type Raw = Record<string, unknown>;

const isMap = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/** openstacksdk's defaults.json, the keys that matter here. */
const DEFAULTS: Raw = { auth_type: 'password', interface: 'public' };

/** keystoneauth's options per plugin: [name, deprecated names…] (names with `_`; dest is the name). */
const COMMON = ['auth_url', 'system_scope', 'domain_id', 'domain_name'];
const PROJECT = ['project_domain_id', 'project_domain_name', 'trust_id'];
export const PLUGIN_OPTIONS: Record<string, string[][]> = {
  password: [...COMMON.map((n) => [n]), ['project_id', 'tenant_id'], ['project_name', 'tenant_name'], ...PROJECT.map((n) => [n]),
    ['default_domain_id'], ['default_domain_name'], ['user_id'], ['username', 'user_name'], ['user_domain_id'], ['user_domain_name'], ['password']],
  v3password: [...COMMON.map((n) => [n]), ['project_id'], ['project_name'], ...PROJECT.map((n) => [n]), ['user_id'], ['username', 'user_name'],
    ['user_domain_id'], ['user_domain_name'], ['password']],
  token: [...COMMON.map((n) => [n]), ['project_id', 'tenant_id'], ['project_name', 'tenant_name'], ...PROJECT.map((n) => [n]),
    ['default_domain_id'], ['default_domain_name'], ['token']],
  v3token: [...COMMON.map((n) => [n]), ['project_id'], ['project_name'], ...PROJECT.map((n) => [n]), ['token']],
  v3applicationcredential: [...COMMON.map((n) => [n]), ['project_id'], ['project_name'], ...PROJECT.map((n) => [n]), ['user_id'],
    ['username', 'user_name'], ['user_domain_id'], ['user_domain_name'], ['application_credential_secret'], ['application_credential_id'],
    ['application_credential_name']],
};

/** loader.py `_auth_update`: top-level keys replace, `auth` mappings merge. */
function authUpdate(base: Raw, over: Raw): Raw {
  for (const [k, v] of Object.entries(structuredClone(over))) {
    if (k === 'auth' && isMap(base.auth) && isMap(v)) base.auth = { ...base.auth, ...v };
    else if (k === 'auth' && isMap(v)) base.auth = { ...v };
    else base[k] = v;
  }
  return base;
}

/** Python's str() of a scalar, as `_fix_backwards_project` and `normalize_keys` apply it. */
function pyStr(v: unknown): string {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return String(v);
}

function normalizeKeys(c: Raw): Raw {
  const out: Raw = {};
  for (const [k0, v] of Object.entries(c)) {
    const k = k0.replace(/-/g, '_');
    if (isMap(v)) out[k] = normalizeKeys(v);
    else if (typeof v === 'number' && k !== 'api_timeout' && k !== 'verbose_level') out[k] = pyStr(v);
    else out[k] = v;
  }
  return out;
}

/** The regions a cloud names (loader.py `_get_known_regions`), each `{ name, values }`. */
export function knownRegions(ours: Raw, vendor: Raw | undefined): { name: string; values: Raw }[] {
  const expand = (list: unknown[]): { name: string; values: Raw }[] =>
    list.map((r) => (isMap(r) ? { name: String(r.name ?? ''), values: isMap(r.values) ? r.values : {} } : { name: String(r), values: {} }));
  const o = normalizeKeys(ours);
  if (o.regions !== undefined) return Array.isArray(o.regions) ? expand(o.regions) : [];
  if (o.region_name !== undefined) return expand(Array.isArray(o.region_name) ? o.region_name : String(o.region_name).split(','));
  if (vendor && Array.isArray(vendor.regions) && vendor.regions.length) return expand(vendor.regions);
  if (vendor && vendor.region_name) return [{ name: String(vendor.region_name), values: {} }];
  return [];
}

/**
 * The final config of one cloud, as get_one() hands it to keystoneauth: top-level settings plus `auth` (only the
 * auth plugin's options moved there; anything else stays where it was). `vendor` is the cloud's `profile` from
 * clouds-public.yaml, if any.
 */
export function sdkCloudConfig(ours: Raw, vendor: Raw | undefined): Raw {
  let c: Raw = authUpdate(authUpdate(structuredClone(DEFAULTS), vendor ?? {}), ours);
  if (!isMap(c.auth)) c.auth = {};
  delete c.cloud;
  const regions = knownRegions(ours, vendor);
  const region = regions[0] ?? { name: '', values: {} };
  delete c.regions;
  c.region_name = region.name;
  for (const [k, v] of Object.entries(region.values)) {
    if (v === null || v === undefined) continue;
    if (k === 'auth' && isMap(v)) c.auth = { ...(c.auth as Raw), ...v };
    else c[k] = v;
  }
  c = magicFixes(c);
  c = normalizeKeys(c);
  const options = PLUGIN_OPTIONS[String(c.auth_type)];
  if (options) validateAuth(c, options);
  return c;
}

function magicFixes(c0: Raw): Raw {
  let c: Raw = { ...c0 };
  const auth = () => c.auth as Raw;
  // _fix_backwards_api_timeout
  let serviceTimeout: unknown;
  for (const k of Object.keys(c)) {
    if (k.endsWith('timeout') && k !== 'timeout' && k !== 'api_timeout') {
      serviceTimeout = c[k];
      delete c[k];
    }
  }
  if (serviceTimeout !== undefined) c.api_timeout = serviceTimeout;
  if ('endpoint_type' in c) {
    c.interface = c.endpoint_type;
    delete c.endpoint_type;
  }
  // _fix_backwards_auth_plugin: the later of auth_plugin, auth_type (defaults always give auth_type) wins
  let authType: unknown;
  for (const k of ['auth_plugin', 'auth_type']) {
    if (k in c) {
      authType = c[k];
      delete c[k];
    }
  }
  c.auth_type = authType;
  // _fix_backwards_project
  const mappings: Record<string, string[]> = {
    domain_id: ['domain_id', 'domain-id'], domain_name: ['domain_name', 'domain-name'],
    user_domain_id: ['user_domain_id', 'user-domain-id'], user_domain_name: ['user_domain_name', 'user-domain-name'],
    project_domain_id: ['project_domain_id', 'project-domain-id'], project_domain_name: ['project_domain_name', 'project-domain-name'],
    token: ['auth-token', 'auth_token', 'token'],
    project_id: ['tenant_id', 'tenant-id', 'project_id', 'project-id'], project_name: ['tenant_name', 'tenant-name', 'project_name', 'project-name'],
  };
  for (const [target, keys] of Object.entries(mappings)) {
    let value: string | undefined;
    for (const k of keys) {
      if (k in c) { value = pyStr(c[k]); delete c[k]; }
      if (k in auth()) { value = pyStr(auth()[k]); delete auth()[k]; }
    }
    if (value) auth()[target] = value;
  }
  // _fix_backwards_interface
  const renamed: Raw = {};
  for (const [k, v] of Object.entries(c)) renamed[k.endsWith('endpoint_type') ? k.replace('endpoint_type', 'interface') : k] = v;
  c = renamed;
  // _handle_domain_id
  const a = auth();
  const projectScoped = 'project_id' in c || 'project_name' in c || 'project_id' in a || 'project_name' in a;
  for (const [target, keys] of [['domain_id', ['user_domain_id', 'project_domain_id']], ['domain_name', ['user_domain_name', 'project_domain_name']]] as const) {
    if (!projectScoped) {
      if (target in c && !(target in a)) { a[target] = c[target]; delete c[target]; }
      continue;
    }
    for (const k of keys) if (target in a && !(k in a)) a[k] = a[target];
    delete c[target];
    delete a[target];
  }
  for (const k of ['insecure', 'cache']) {
    if (k in c && typeof c[k] !== 'boolean') c[k] = typeof c[k] === 'string' && (c[k] as string).toLowerCase() === 'true';
  }
  return c;
}

/** loader.py `_validate_auth`: each plugin option's value (auth first, then top level, current name before deprecated). */
function validateAuth(c: Raw, options: string[][]): void {
  const a = c.auth as Raw;
  for (const names of options) {
    const find = (from: Raw) => {
      for (const n of names) if (from[n] !== undefined && from[n] !== null && from[n] !== '' && from[n] !== false) return from[n];
      return undefined;
    };
    const winning = find(a) ?? find(c);
    for (const n of names) {
      delete c[n];
      delete a[n];
    }
    if (winning !== undefined) a[names[0]] = winning;
  }
}
