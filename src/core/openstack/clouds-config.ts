import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { LineCounter, isMap, isScalar, parseDocument, type Document } from 'yaml';
import { TroubleshooterError } from '../errors';
import { readRegularFileSync } from '../local-file';
import { knownRegions, sdkCloudConfig } from './clouds-merge';

/**
 * clouds.yaml as openstacksdk 0.101 reads it (`config/loader.py`; the differential tier holds us to it):
 * - files `clouds.yaml|yml|json`, searched in cwd, `$XDG_CONFIG_HOME/openstack` (else `~/.config/openstack`),
 *   `~/.config/openstack`, the `$XDG_CONFIG_DIRS` site folder (`/etc/xdg/openstack`), `/etc/openstack`;
 *   `OS_CLIENT_CONFIG_FILE` goes first; the first file found wins; `secure.*` (or `OS_CLIENT_SECURE_FILE`) merged
 *   over it; `clouds-public.*` holds the `profile`s;
 * - any `OS_*` variable other than the selectors (`OS_CLOUD`, `OS_REGION_NAME`, `OS_CLIENT_*_FILE`, `OS_CLOUD_NAME`)
 *   forms a cloud named `envvars` (or `OS_CLOUD_NAME`); `OS_CLOUD` selects a cloud, else the `envvars` cloud when
 *   there is one, else the only cloud of the file;
 * - the cloud's mapping becomes what keystoneauth gets as openstacksdk's get_one() makes it (clouds-merge.ts);
 *   domains are not defaulted: a user or project by name without a domain is left to Keystone, as with the
 *   openstack CLI (`default_domain_id`/`_name` fill in, as keystoneauth's generic plugins do).
 * Errors name the file, the line and the key, and never contain a secret.
 */

export type AuthType = 'password' | 'v3password' | 'v3applicationcredential' | 'token' | 'v3token';
export type Interface = 'public' | 'internal' | 'admin';

export interface AuthOptions {
  authUrl: string;
  username?: string;
  userId?: string;
  password?: string;
  userDomainName?: string;
  userDomainId?: string;
  projectName?: string;
  projectId?: string;
  projectDomainName?: string;
  projectDomainId?: string;
  domainName?: string;
  domainId?: string;
  /** `system_scope: all` */
  systemScope?: string;
  token?: string;
  applicationCredentialId?: string;
  applicationCredentialName?: string;
  applicationCredentialSecret?: string;
}

export interface CloudConfig {
  /** Cloud name as in clouds.yaml (`envvars` for OS_* variables). */
  name: string;
  /** File the cloud came from (undefined for envvars or objects). */
  source?: string;
  authType: AuthType;
  auth: AuthOptions;
  /** Selected region: the first of `regions`, else of `region_name` (a comma list), as openstacksdk picks it. */
  regionName?: string;
  regions: string[];
  /** `identity_api_version` as given ("3"); anything else than 3 is refused. */
  identityApiVersion?: string;
  interface: Interface;
  /** false disables TLS verification (wins over cacert). */
  verify: boolean;
  cacert?: string;
  cert?: string;
  key?: string;
  /** Pinned compute microversion (`compute_api_version`), e.g. "2.79". */
  computeApiVersion?: string;
  placementApiVersion?: string;
  /** `<service_type>_endpoint_override` values by service type. */
  endpointOverrides: Record<string, string>;
  /** `api_timeout` in seconds, as ms. */
  timeoutMs?: number;
}

export interface CloudsConfigOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  home?: string;
  /**
   * Site folders searched after the user's (default: the `$XDG_CONFIG_DIRS` folder as openstacksdk spells it,
   * then /etc/openstack).
   */
  systemDirs?: string[];
}

const CONFIG_NAMES = ['clouds.yaml', 'clouds.yml', 'clouds.json'];
const VENDOR_NAMES = ['clouds-public.yaml', 'clouds-public.yml', 'clouds-public.json'];
const SECURE_NAMES = ['secure.yaml', 'secure.yml', 'secure.json'];
const AUTH_TYPES: Record<string, AuthType> = {
  password: 'password',
  v3password: 'v3password',
  v3applicationcredential: 'v3applicationcredential',
  token: 'token',
  v3token: 'v3token',
};

function searchDirs(o: CloudsConfigOptions): string[] {
  const env = o.env ?? process.env;
  const cwd = o.cwd ?? process.cwd();
  const home = o.home ?? homedir();
  const userDir = join(env.XDG_CONFIG_HOME ?? join(home, '.config'), 'openstack');
  // appdirs' site_config_dir with multipath: every XDG_CONFIG_DIRS entry + /openstack, joined by ':' into ONE path
  // (so with several entries no file is found there, exactly as openstacksdk behaves).
  const site = (env.XDG_CONFIG_DIRS ?? '/etc/xdg').split(':').map((d) => `${d.replace(/\/+$/, '').replace(/^~(?=\/|$)/, home)}/openstack`).join(':');
  return [cwd, userDir, join(home, '.config', 'openstack'), ...(o.systemDirs ?? [site, '/etc/openstack'])];
}

function firstExisting(explicit: string | undefined, names: string[], o: CloudsConfigOptions): string | undefined {
  const cwd = o.cwd ?? process.cwd();
  if (explicit) {
    const p = resolve(cwd, explicit);
    if (existsSync(p)) return p;
  }
  for (const d of searchDirs(o)) for (const n of names) if (existsSync(join(d, n))) return join(d, n);
  return undefined;
}

/** The clouds.yaml and secure.yaml that apply, in openstacksdk's search order. */
export function findCloudsFiles(o: CloudsConfigOptions = {}): { clouds?: string; secure?: string; vendor?: string } {
  const env = o.env ?? process.env;
  return {
    clouds: firstExisting(env.OS_CLIENT_CONFIG_FILE, CONFIG_NAMES, o),
    secure: firstExisting(env.OS_CLIENT_SECURE_FILE, SECURE_NAMES, o),
    vendor: firstExisting(undefined, VENDOR_NAMES, o),
  };
}

interface ParsedFile {
  path: string;
  doc: Document;
  lines: LineCounter;
  data: Record<string, unknown>;
}

function configError(message: string, file: string, line?: number, key?: string): TroubleshooterError {
  return new TroubleshooterError('ConfigInvalid', message, { subject: file, file, line, key });
}

/** clouds.yaml and secure.yaml are a few KiB; a bigger "file" is a mistake (a device, a log), not a config. */
const MAX_CLOUDS_FILE_BYTES = 4 * 1024 * 1024;

function parseFile(path: string): ParsedFile {
  let text: string;
  try {
    text = readRegularFileSync(path, { maxBytes: MAX_CLOUDS_FILE_BYTES }).bytes.toString('utf8');
  } catch (e) {
    if (e instanceof TroubleshooterError) throw e;
    throw configError(`Cannot read the cloud configuration "${path}": ${(e as NodeJS.ErrnoException).code ?? 'error'}.`, path);
  }
  const lines = new LineCounter();
  // JSON is YAML; one parser for both keeps the line numbers in errors.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const line = err.linePos?.[0]?.line;
    const col = err.linePos?.[0]?.col;
    const first = err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    throw configError(`Invalid YAML in "${path}" at line ${line ?? '?'}, column ${col ?? '?'}: ${first}`, path, line);
  }
  const data = doc.toJS({ maxAliasCount: 100 }) as unknown;
  if (data === null || data === undefined) return { path, doc, lines, data: {} };
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw configError(`The cloud configuration "${path}" must be a mapping with a "clouds" key.`, path, 1);
  }
  return { path, doc, lines, data: data as Record<string, unknown> };
}

/** Line (1-based) of the node at `path` in a parsed file, for error messages. */
function lineOf(f: ParsedFile | undefined, path: (string | number)[]): number | undefined {
  if (!f) return undefined;
  for (let n = path.length; n > 0; n--) {
    // Prefer the key's own position: find the pair in the parent map.
    const parent = n === 1 ? f.doc.contents : f.doc.getIn(path.slice(0, n - 1), true);
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === path[n - 1]);
      const range = pair && isScalar(pair.key) ? pair.key.range : undefined;
      if (range) return f.lines.linePos(range[0]).line;
    }
  }
  return undefined;
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b)
        ? deepMerge(b as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}


/** OS_* variables that select rather than configure (loader.py `_get_os_environ`). */
const ENV_SELECTORS = new Set(['OS_CLOUD', 'OS_REGION_NAME', 'OS_CLIENT_CONFIG_FILE', 'OS_CLIENT_SECURE_FILE', 'OS_CLOUD_NAME']);

/**
 * The `envvars` cloud from OS_* variables (an openrc file), or undefined when only selectors are set: every OS_*
 * variable (but OS_TEST*, OS_STD*, OS_LOG*) as a top-level key, lowercased without the prefix; get_one() moves the
 * auth keys into `auth`.
 */
export function envVarsCloud(env: NodeJS.ProcessEnv): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  let configuring = false;
  for (const [k, v] of Object.entries(env)) {
    if (!k.startsWith('OS_') || /^OS_(TEST|STD|LOG)/.test(k) || v === undefined) continue;
    out[k.slice(3).toLowerCase()] = v;
    if (!ENV_SELECTORS.has(k)) configuring = true;
  }
  return configuring ? out : undefined;
}

function asString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return undefined;
}

function asBool(v: unknown, file: string, line: number | undefined, key: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const s = v.toLowerCase();
    if (['true', 'yes', '1', 'on'].includes(s)) return true;
    if (['false', 'no', '0', 'off'].includes(s)) return false;
  }
  throw configError(`The value of "${key}" in "${file}"${line ? ` at line ${line}` : ''} must be true or false.`, file, line, key);
}

/**
 * Builds a CloudConfig from one cloud's raw mapping (clouds.yaml entry, OS_* cloud, or an object the extension
 * assembled from settings and SecretStorage), merged as openstacksdk's get_one() does. Checks the auth fields the
 * auth type needs.
 */
export function cloudConfigFromObject(name: string, raw: Record<string, unknown>, source?: string, file?: ParsedFile, vendor?: Record<string, unknown>, home?: string): CloudConfig {
  const where = source ?? (name === 'envvars' ? 'the OS_* environment variables' : 'the cloud settings');
  const keyPath = (...k: string[]) => ['clouds', name, ...k];
  const at = (...k: string[]) => {
    const line = lineOf(file, keyPath(...k));
    return line ? ` (line ${line})` : '';
  };
  if (raw.auth !== undefined && (typeof raw.auth !== 'object' || raw.auth === null || Array.isArray(raw.auth))) {
    throw configError(`The "auth" of cloud "${name}" in "${where}"${at('auth')} must be a mapping.`, where, lineOf(file, keyPath('auth')), 'auth');
  }
  const c = sdkCloudConfig(raw, vendor);
  const a = c.auth as Record<string, unknown>;
  const authTypeRaw = asString(c.auth_type) ?? 'password';
  const authType = AUTH_TYPES[authTypeRaw];
  if (!authType) {
    throw configError(
      `Cloud "${name}" in "${where}"${at('auth_type')} uses an auth type this extension does not support: "${authTypeRaw}".`,
      where,
      lineOf(file, keyPath('auth_type')),
      'auth_type',
    );
  }
  const missing = (key: string): never => {
    const line = lineOf(file, keyPath('auth')) ?? lineOf(file, keyPath());
    throw configError(
      `Cloud "${name}" in "${where}"${line ? ` (line ${line})` : ''} is missing the auth key "${key}".`,
      where,
      line,
      `auth.${key}`,
    );
  };
  const auth: AuthOptions = {
    authUrl: asString(a.auth_url) ?? '',
    username: asString(a.username),
    userId: asString(a.user_id),
    password: asString(a.password),
    // keystoneauth's generic plugins: a domain not given falls back to default_domain_id / _name; nothing else is
    // defaulted (Keystone answers a user or project by name without a domain itself).
    userDomainName: asString(a.user_domain_name) ?? asString(a.default_domain_name),
    userDomainId: asString(a.user_domain_id) ?? asString(a.default_domain_id),
    projectName: asString(a.project_name),
    projectId: asString(a.project_id),
    projectDomainName: asString(a.project_domain_name) ?? asString(a.default_domain_name),
    projectDomainId: asString(a.project_domain_id) ?? asString(a.default_domain_id),
    domainName: asString(a.domain_name),
    domainId: asString(a.domain_id),
    systemScope: asString(a.system_scope),
    token: asString(a.token),
    applicationCredentialId: asString(a.application_credential_id),
    applicationCredentialName: asString(a.application_credential_name),
    applicationCredentialSecret: asString(a.application_credential_secret),
  };
  if (!auth.projectName) {
    auth.projectDomainId = asString(a.project_domain_id);
    auth.projectDomainName = asString(a.project_domain_name);
  }
  if (!auth.username && !auth.applicationCredentialName) {
    auth.userDomainId = asString(a.user_domain_id);
    auth.userDomainName = asString(a.user_domain_name);
  }
  if (!auth.authUrl) missing('auth_url');
  if (!/^https?:\/\/[^\s/]+/i.test(auth.authUrl)) {
    throw configError(`The auth_url of cloud "${name}" in "${where}"${at('auth', 'auth_url')} is not an http(s) URL.`, where, lineOf(file, keyPath('auth', 'auth_url')), 'auth.auth_url');
  }
  switch (authType) {
    case 'password':
    case 'v3password':
      if (!auth.username && !auth.userId) missing('username');
      if (!auth.password) missing('password');
      break;
    case 'v3applicationcredential':
      if (!auth.applicationCredentialId && !auth.applicationCredentialName) missing('application_credential_id');
      if (!auth.applicationCredentialId && !auth.username && !auth.userId) missing('username');
      if (!auth.applicationCredentialSecret) missing('application_credential_secret');
      break;
    case 'token':
    case 'v3token':
      if (!auth.token) missing('token');
      break;
  }

  const regions = knownRegions(raw, vendor).map((r) => r.name).filter(Boolean);
  const regionName = asString(c.region_name) || undefined;

  // keystoneauth strips trailing U, R, L ("publicURL" → "public") and compares the rest as is.
  const ifaceRaw = asString(c.interface) ?? 'public';
  const iface = ifaceRaw.replace(/[URL]+$/, '');
  if (iface !== 'public' && iface !== 'internal' && iface !== 'admin') {
    throw configError(`The interface of cloud "${name}" in "${where}"${at('interface')} must be public, internal or admin, not "${ifaceRaw}".`, where, lineOf(file, keyPath('interface')), 'interface');
  }
  const identityApiVersion = asString(c.identity_api_version);
  if (identityApiVersion !== undefined && !/^3(\.\d+)?$/.test(identityApiVersion)) {
    throw configError(`Cloud "${name}" in "${where}"${at('identity_api_version')} asks for identity API "${identityApiVersion}"; only Keystone v3 is supported.`, where, lineOf(file, keyPath('identity_api_version')), 'identity_api_version');
  }
  // insecure wins over verify, verify false wins over cacert (CloudRegion.get_requests_verify_args).
  const verifyRaw = asBool(c.verify, where, lineOf(file, keyPath('verify')), 'verify');
  const verify = c.insecure === true ? false : verifyRaw ?? true;
  const h = home ?? homedir();
  const tilde = (p: string | undefined) => (p === undefined ? undefined : p === '~' ? h : p.startsWith('~/') ? join(h, p.slice(2)) : p);

  const endpointOverrides: Record<string, string> = {};
  for (const [k, v] of Object.entries(c)) {
    const m = /^(.+)_endpoint_override$/.exec(k);
    if (m && typeof v === 'string') endpointOverrides[m[1].replace(/_/g, '-')] = v;
  }
  const apiTimeout = c.api_timeout !== undefined && c.api_timeout !== null ? Number(c.api_timeout) : undefined;
  return {
    name,
    source,
    authType,
    auth,
    regionName,
    regions: regions.length ? regions : regionName ? [regionName] : [],
    identityApiVersion,
    interface: iface as Interface,
    verify,
    cacert: tilde(asString(c.cacert)),
    cert: tilde(asString(c.cert)),
    key: tilde(asString(c.key)),
    computeApiVersion: asString(c.compute_api_version),
    placementApiVersion: asString(c.placement_api_version),
    endpointOverrides,
    timeoutMs: apiTimeout && Number.isFinite(apiTimeout) && apiTimeout > 0 ? apiTimeout * 1000 : undefined,
  };
}

interface LoadedClouds {
  file?: ParsedFile;
  secureFile?: ParsedFile;
  clouds: Record<string, Record<string, unknown>>;
  envCloud?: { name: string; raw: Record<string, unknown> };
  /** `public-clouds` of clouds-public.yaml. */
  vendors: Record<string, Record<string, unknown>>;
}

function loadAll(o: CloudsConfigOptions): LoadedClouds {
  const env = o.env ?? process.env;
  const files = findCloudsFiles(o);
  const file = files.clouds ? parseFile(files.clouds) : undefined;
  const secureFile = files.secure ? parseFile(files.secure) : undefined;
  const vendorFile = files.vendor ? parseFile(files.vendor) : undefined;
  const getClouds = (f: ParsedFile | undefined, key = 'clouds'): Record<string, unknown> => {
    if (!f) return {};
    const c = f.data[key];
    if (c === undefined || c === null) return {};
    if (typeof c !== 'object' || Array.isArray(c)) {
      throw configError(`The "${key}" key of "${f.path}" (line ${lineOf(f, [key]) ?? '?'}) must be a mapping of cloud names.`, f.path, lineOf(f, [key]), key);
    }
    return c as Record<string, unknown>;
  };
  const merged = deepMerge(getClouds(file), getClouds(secureFile));
  const clouds: Record<string, Record<string, unknown>> = {};
  for (const [n, c] of Object.entries(merged)) {
    if (typeof c !== 'object' || c === null || Array.isArray(c)) {
      const f = file ?? secureFile;
      const line = lineOf(f, ['clouds', n]);
      throw configError(`Cloud "${n}" in "${f?.path ?? 'clouds.yaml'}"${line ? ` (line ${line})` : ''} must be a mapping.`, f?.path ?? '', line, `clouds.${n}`);
    }
    clouds[n] = c as Record<string, unknown>;
  }
  const envName = env.OS_CLOUD_NAME ?? 'envvars';
  if (clouds[envName]) {
    const f = file ?? secureFile;
    throw configError(`"${f?.path}" defines a cloud named "${envName}", which is the name of the cloud the OS_* variables form${env.OS_CLOUD_NAME ? ' (OS_CLOUD_NAME)' : ''}; rename one of them.`, f?.path ?? '', lineOf(f, ['clouds', envName]), `clouds.${envName}`);
  }
  const envRaw = envVarsCloud(env);
  const vendors: Record<string, Record<string, unknown>> = {};
  for (const [n, v] of Object.entries(getClouds(vendorFile, 'public-clouds'))) if (v && typeof v === 'object' && !Array.isArray(v)) vendors[n] = v as Record<string, unknown>;
  return { file, secureFile, clouds, vendors, envCloud: envRaw ? { name: envName, raw: envRaw } : undefined };
}

/** Names of the clouds the user has (clouds.yaml and, if set, the OS_* cloud). */
export function listCloudNames(o: CloudsConfigOptions = {}): string[] {
  const all = loadAll(o);
  return [...Object.keys(all.clouds), ...(all.envCloud ? [all.envCloud.name] : [])];
}

/**
 * The configuration of one cloud: `name`, else `OS_CLOUD`, else the OS_* cloud, else the only cloud defined.
 * Throws CloudNotFound (naming the file and the known clouds) or ConfigInvalid (file, line, key).
 */
export function loadCloudConfig(name?: string, o: CloudsConfigOptions = {}): CloudConfig {
  const env = o.env ?? process.env;
  const all = loadAll(o);
  const names = Object.keys(all.clouds);
  const wanted = name || env.OS_CLOUD || undefined;
  const where = all.file?.path ?? all.secureFile?.path;
  const home = o.home ?? homedir();
  const vendorOf = (raw: Record<string, unknown>) => {
    const p = asString(raw.profile) ?? asString(raw.cloud);
    return p && p !== all.envCloud?.name ? all.vendors[p] : undefined; // a built-in vendor profile is not supported
  };
  const fromFile = (n: string) => cloudConfigFromObject(n, all.clouds[n], where, all.file, vendorOf(all.clouds[n]), home);
  const fromEnv = () => cloudConfigFromObject(all.envCloud!.name, all.envCloud!.raw, undefined, undefined, undefined, home);
  if (wanted) {
    if (all.clouds[wanted]) return fromFile(wanted);
    if (all.envCloud && all.envCloud.name === wanted) return fromEnv();
    const known = [...names, ...(all.envCloud ? [all.envCloud.name] : [])];
    throw new TroubleshooterError(
      'CloudNotFound',
      where
        ? `No cloud named "${wanted}" in "${where}"${known.length ? ` (known: ${known.join(', ')})` : ''}.`
        : `No clouds.yaml found (looked in ${searchDirs(o).join(', ')}) for cloud "${wanted}".`,
      { subject: wanted, file: where },
    );
  }
  if (all.envCloud) return fromEnv();
  if (names.length === 1) return fromFile(names[0]);
  if (names.length === 0) {
    throw new TroubleshooterError('CloudNotFound', `No cloud is configured: no clouds.yaml in ${searchDirs(o).join(', ')} and no OS_AUTH_URL.`);
  }
  throw new TroubleshooterError('CloudNotFound', `Several clouds are defined in "${where}"; choose one with --cloud or OS_CLOUD (known: ${names.join(', ')}).`, { file: where });
}
