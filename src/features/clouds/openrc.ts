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

/** Secret key of a cloud's password (or application-credential secret) in SecretStorage. */
export function cloudSecretKey(cloud: string): string {
  return `openstack.cloud.${cloud}.password`;
}
