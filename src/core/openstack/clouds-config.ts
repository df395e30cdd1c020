import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { LineCounter, isMap, isScalar, parseDocument, type Document } from 'yaml';
import { TroubleshooterError } from '../errors';
import { readRegularFileSync } from '../local-file';

/**
 * clouds.yaml as openstacksdk users already have it (openstacksdk `config/loader.py`):
 * - files `clouds.yaml|yml|json`, searched in cwd, `~/.config/openstack`, `/etc/openstack`; `OS_CLIENT_CONFIG_FILE`
 *   goes first; the first file found wins;
 * - `secure.yaml` (or `OS_CLIENT_SECURE_FILE`) merged over it;
 * - `OS_CLOUD` selects the cloud; the `OS_*` variables of an openrc form a cloud named `envvars` (`OS_CLOUD_NAME`);
 *   a single defined cloud is used without naming it.
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
  /** Selected region (`region_name`, or the first of `regions`). */
  regionName?: string;
  regions: string[];
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
  /** Directories searched after cwd and ~/.config/openstack (default ["/etc/openstack"]). */
  systemDirs?: string[];
}

const CONFIG_NAMES = ['clouds.yaml', 'clouds.yml', 'clouds.json'];
const SECURE_NAMES = ['secure.yaml', 'secure.yml', 'secure.json'];
const AUTH_TYPES: Record<string, AuthType> = {
  password: 'password',
  v3password: 'v3password',
  v3applicationcredential: 'v3applicationcredential',
  token: 'token',
  v3token: 'v3token',
};

function searchDirs(o: CloudsConfigOptions): string[] {
  const cwd = o.cwd ?? process.cwd();
  const home = o.home ?? homedir();
  return [cwd, join(home, '.config', 'openstack'), ...(o.systemDirs ?? ['/etc/openstack'])];
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
export function findCloudsFiles(o: CloudsConfigOptions = {}): { clouds?: string; secure?: string } {
  const env = o.env ?? process.env;
  return {
    clouds: firstExisting(env.OS_CLIENT_CONFIG_FILE, CONFIG_NAMES, o),
    secure: firstExisting(env.OS_CLIENT_SECURE_FILE, SECURE_NAMES, o),
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

const ENV_IGNORED = new Set(['OS_CLOUD', 'OS_CLOUD_NAME', 'OS_CLIENT_CONFIG_FILE', 'OS_CLIENT_SECURE_FILE']);
const AUTH_KEYS = new Set([
  'auth_url', 'username', 'user_id', 'password', 'user_domain_name', 'user_domain_id', 'project_name', 'project_id',
  'tenant_name', 'tenant_id', 'project_domain_name', 'project_domain_id', 'domain_name', 'domain_id', 'system_scope',
  'token', 'application_credential_id', 'application_credential_name', 'application_credential_secret',
  'default_domain_id', 'default_domain_name',
]);

/** The `envvars` cloud from OS_* variables (an openrc file), or undefined when none is set. */
export function envVarsCloud(env: NodeJS.ProcessEnv): Record<string, unknown> | undefined {
  const auth: Record<string, unknown> = {};
  const top: Record<string, unknown> = {};
  let any = false;
  for (const [k, v] of Object.entries(env)) {
    if (!k.startsWith('OS_') || ENV_IGNORED.has(k) || v === undefined || v === '') continue;
    const key = k.slice(3).toLowerCase();
    any = true;
    if (AUTH_KEYS.has(key)) auth[key] = v;
    else top[key] = v;
  }
  if (!any || auth.auth_url === undefined) return undefined;
  return { ...top, auth };
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
 * assembled from settings and SecretStorage). Checks the auth fields the auth type needs.
 */
export function cloudConfigFromObject(name: string, raw: Record<string, unknown>, source?: string, file?: ParsedFile): CloudConfig {
  const where = source ?? (name === 'envvars' ? 'the OS_* environment variables' : 'the cloud settings');
  const keyPath = (...k: string[]) => ['clouds', name, ...k];
  const at = (...k: string[]) => {
    const line = lineOf(file, keyPath(...k));
    return line ? ` (line ${line})` : '';
  };
  const rawAuth = raw.auth ?? {};
  if (typeof rawAuth !== 'object' || rawAuth === null || Array.isArray(rawAuth)) {
    throw configError(`The "auth" of cloud "${name}" in "${where}"${at('auth')} must be a mapping.`, where, lineOf(file, keyPath('auth')), 'auth');
  }
  const a = rawAuth as Record<string, unknown>;
  const authTypeRaw = asString(raw.auth_type) ?? 'password';
  const authType = AUTH_TYPES[authTypeRaw === 'token_endpoint' ? '' : authTypeRaw];
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
    userDomainName: asString(a.user_domain_name),
    userDomainId: asString(a.user_domain_id),
    projectName: asString(a.project_name) ?? asString(a.tenant_name),
    projectId: asString(a.project_id) ?? asString(a.tenant_id),
    projectDomainName: asString(a.project_domain_name),
    projectDomainId: asString(a.project_domain_id),
    domainName: asString(a.domain_name),
    domainId: asString(a.domain_id),
    systemScope: asString(a.system_scope),
    token: asString(a.token) ?? asString(a.auth_token),
    applicationCredentialId: asString(a.application_credential_id),
    applicationCredentialName: asString(a.application_credential_name),
    applicationCredentialSecret: asString(a.application_credential_secret),
  };
  // default_domain applies to user and project domains that are not given (as in keystoneauth's generic plugins).
  const defDomainId = asString(a.default_domain_id) ?? asString(raw.default_domain);
  const defDomainName = asString(a.default_domain_name);
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
  if ((auth.username || auth.applicationCredentialName) && !auth.userDomainId && !auth.userDomainName) {
    if (defDomainName) auth.userDomainName = defDomainName;
    else auth.userDomainId = defDomainId ?? 'default';
  }
  if (auth.projectName && !auth.projectDomainId && !auth.projectDomainName) {
    if (defDomainName) auth.projectDomainName = defDomainName;
    else auth.projectDomainId = defDomainId ?? 'default';
  }

  const regions: string[] = [];
  if (Array.isArray(raw.regions)) {
    for (const r of raw.regions) {
      if (typeof r === 'string') regions.push(r);
      else if (r && typeof r === 'object' && typeof (r as Record<string, unknown>).name === 'string') regions.push((r as { name: string }).name);
    }
  } else if (typeof raw.regions === 'string') regions.push(...raw.regions.split(',').map((s) => s.trim()).filter(Boolean));
  const regionName = asString(raw.region_name) ?? regions[0];

  const iface = (asString(raw.interface) ?? asString(raw.endpoint_type) ?? 'public').toLowerCase().replace(/url$/, '');
  if (iface !== 'public' && iface !== 'internal' && iface !== 'admin') {
    throw configError(`The interface of cloud "${name}" in "${where}"${at('interface')} must be public, internal or admin, not "${iface}".`, where, lineOf(file, keyPath('interface')), 'interface');
  }
  // verify wins over cacert; insecure is the deprecated inverse.
  const verifyRaw = asBool(raw.verify, where, lineOf(file, keyPath('verify')), 'verify');
  const insecure = asBool(raw.insecure, where, lineOf(file, keyPath('insecure')), 'insecure');
  const verify = verifyRaw ?? (insecure !== undefined ? !insecure : true);

  const endpointOverrides: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    const m = /^(.+)_endpoint_override$/.exec(k);
    if (m && typeof v === 'string') endpointOverrides[m[1].replace(/_/g, '-')] = v;
  }
  const apiTimeout = raw.api_timeout !== undefined ? Number(raw.api_timeout) : undefined;
  return {
    name,
    source,
    authType,
    auth,
    regionName,
    regions: regions.length ? regions : regionName ? [regionName] : [],
    interface: iface as Interface,
    verify,
    cacert: asString(raw.cacert),
    cert: asString(raw.cert),
    key: asString(raw.key),
    computeApiVersion: asString(raw.compute_api_version),
    placementApiVersion: asString(raw.placement_api_version),
    endpointOverrides,
    timeoutMs: apiTimeout && Number.isFinite(apiTimeout) && apiTimeout > 0 ? apiTimeout * 1000 : undefined,
  };
}

interface LoadedClouds {
  file?: ParsedFile;
  secureFile?: ParsedFile;
  clouds: Record<string, Record<string, unknown>>;
  envCloud?: { name: string; raw: Record<string, unknown> };
}

function loadAll(o: CloudsConfigOptions): LoadedClouds {
  const env = o.env ?? process.env;
  const files = findCloudsFiles(o);
  const file = files.clouds ? parseFile(files.clouds) : undefined;
  const secureFile = files.secure ? parseFile(files.secure) : undefined;
  const getClouds = (f: ParsedFile | undefined): Record<string, unknown> => {
    if (!f) return {};
    const c = f.data.clouds;
    if (c === undefined) return {};
    if (typeof c !== 'object' || c === null || Array.isArray(c)) {
      throw configError(`The "clouds" key of "${f.path}" (line ${lineOf(f, ['clouds']) ?? '?'}) must be a mapping of cloud names.`, f.path, lineOf(f, ['clouds']), 'clouds');
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
  const envRaw = envVarsCloud(env);
  return { file, secureFile, clouds, envCloud: envRaw ? { name: env.OS_CLOUD_NAME || 'envvars', raw: envRaw } : undefined };
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
  if (wanted) {
    if (all.clouds[wanted]) return cloudConfigFromObject(wanted, all.clouds[wanted], where, all.file);
    if (all.envCloud && all.envCloud.name === wanted) return cloudConfigFromObject(wanted, all.envCloud.raw);
    const known = [...names, ...(all.envCloud ? [all.envCloud.name] : [])];
    throw new TroubleshooterError(
      'CloudNotFound',
      where
        ? `No cloud named "${wanted}" in "${where}"${known.length ? ` (known: ${known.join(', ')})` : ''}.`
        : `No clouds.yaml found (looked in ${searchDirs(o).join(', ')}) for cloud "${wanted}".`,
      { subject: wanted, file: where },
    );
  }
  if (all.envCloud) return cloudConfigFromObject(all.envCloud.name, all.envCloud.raw);
  if (names.length === 1) return cloudConfigFromObject(names[0], all.clouds[names[0]], where, all.file);
  if (names.length === 0) {
    throw new TroubleshooterError('CloudNotFound', `No cloud is configured: no clouds.yaml in ${searchDirs(o).join(', ')} and no OS_AUTH_URL.`);
  }
  throw new TroubleshooterError('CloudNotFound', `Several clouds are defined in "${where}"; choose one with --cloud or OS_CLOUD (known: ${names.join(', ')}).`, { file: where });
}
