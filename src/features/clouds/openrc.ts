/**
 * Reads the OS_* assignments of an openrc file (`export OS_AUTH_URL=…`, quoted or not) without running it, and turns
 * them into a clouds.yaml entry plus the password, which is kept apart (it goes to SecretStorage, never to a file).
 * No vscode import: unit-tested in plain Node.
 */
export interface OpenrcCloud {
  /** The clouds.yaml entry (no password). */
  entry: Record<string, unknown>;
  password?: string;
  /** Lines that ask for the password interactively (`read -sr OS_PASSWORD_INPUT`). */
  promptsForPassword: boolean;
}

const AUTH_KEYS = new Set([
  'auth_url', 'username', 'user_id', 'user_domain_name', 'user_domain_id', 'project_name', 'project_id',
  'tenant_name', 'tenant_id', 'project_domain_name', 'project_domain_id', 'domain_name', 'domain_id',
  'application_credential_id', 'application_credential_name',
]);
const TOP_KEYS = new Set(['region_name', 'interface', 'identity_api_version', 'cacert', 'auth_type', 'compute_api_version']);

function unquote(v: string): string {
  const t = v.trim();
  if ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'"))) return t.slice(1, -1);
  return t.replace(/\s+#.*$/, '');
}

export function parseOpenrc(text: string): OpenrcCloud {
  const vars: Record<string, string> = {};
  let prompts = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (/\bread\b.*OS_PASSWORD/.test(line)) prompts = true;
    const m = /^(?:export\s+)?(OS_[A-Z0-9_]+)=(.*)$/.exec(line);
    if (!m) continue;
    const value = unquote(m[2]);
    if (value.includes('$')) {
      if (m[1] === 'OS_PASSWORD') prompts = true;
      continue;
    }
    vars[m[1]] = value;
  }
  const auth: Record<string, string> = {};
  const entry: Record<string, unknown> = {};
  let password: string | undefined;
  let secret: string | undefined;
  for (const [k, v] of Object.entries(vars)) {
    const key = k.slice(3).toLowerCase();
    if (key === 'password') password = v;
    else if (key === 'application_credential_secret') secret = v;
    else if (AUTH_KEYS.has(key)) auth[key === 'tenant_name' ? 'project_name' : key === 'tenant_id' ? 'project_id' : key] = v;
    else if (TOP_KEYS.has(key)) entry[key === 'endpoint_type' ? 'interface' : key] = v;
    else if (key === 'endpoint_type') entry.interface = v.replace(/URL$/i, '');
  }
  if (entry.auth_type === undefined && auth.application_credential_id) entry.auth_type = 'v3applicationcredential';
  entry.auth = auth;
  return { entry, password: password ?? secret, promptsForPassword: prompts && password === undefined && secret === undefined };
}

/**
 * The SecretStorage key of a cloud's password before secrets were keyed by what they authenticate: by cloud NAME, so
 * any clouds.yaml (a workspace's `./clouds.yaml`) naming a cloud "prod" with its own auth_url got prod's password.
 * Read only to migrate (see credentialSecretKey), then deleted.
 */
export function cloudSecretKey(cloud: string): string {
  return `openstack.cloud.${cloud}.password`;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : '';
}

/** auth_url as Keystone sees it: scheme and host lower-case, default port dropped, no trailing slash. */
function normalizeAuthUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return url.replace(/\/+$/, '');
  }
}

/**
 * The SecretStorage key of a cloud's password or application-credential secret, by what it authenticates: the
 * Keystone auth_url, the user (id, else name) and the user's domain (id, else name) — or the application credential
 * (id, else name and user). A clouds.yaml that reuses a cloud's name with another auth_url or user gets another key,
 * so a stored secret only ever goes to the Keystone it was entered for. Undefined without an auth_url or a user.
 */
export function credentialSecretKey(auth: Record<string, unknown>, field: 'password' | 'application_credential_secret'): string | undefined {
  const url = str(auth.auth_url);
  if (!url) return undefined;
  const domain = str(auth.user_domain_id) ? `id:${str(auth.user_domain_id)}` : str(auth.user_domain_name) ? `name:${str(auth.user_domain_name)}` : str(auth.domain_id) ? `id:${str(auth.domain_id)}` : str(auth.domain_name) ? `name:${str(auth.domain_name)}` : '';
  const user = str(auth.user_id) ? `id:${str(auth.user_id)}` : str(auth.username) ? `name:${str(auth.username)}` : '';
  let who: string;
  if (field === 'application_credential_secret') {
    const cred = str(auth.application_credential_id) ? `id:${str(auth.application_credential_id)}` : str(auth.application_credential_name) ? `name:${str(auth.application_credential_name)}` : '';
    if (!cred) return undefined;
    who = `appcred=${cred} user=${user} domain=${domain}`;
  } else {
    if (!user) return undefined;
    who = `user=${user} domain=${domain}`;
  }
  return `openstack.credential ${field} ${normalizeAuthUrl(url)} ${who}`;
}
