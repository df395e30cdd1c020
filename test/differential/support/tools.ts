import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * The real tools the differential tier compares our core with, run in the same test, never mocked:
 * - OpenSSH's `ssh -G -F <file> <host>` (the evaluated client config) and `ssh -v` (the identity files it loads);
 * - `ssh-keygen -F <name> -f <known_hosts>` (the lines OpenSSH's host-file code matches for a name);
 * - openstacksdk's `OpenStackConfig().get_one(cloud)` through Debian's python3 (python3-openstacksdk).
 *
 * OpenSSH expands `~` (and resolves a relative `Include` against `~/.ssh`) with the passwd entry's home, not $HOME,
 * so each ssh run happens in a private mount namespace (`unshare -m`) where the case's temporary home is bound over
 * the passwd home: nothing of the real ~/.ssh leaks in, and paths in ssh's answers are mapped back to the case's home.
 */

const made: string[] = [];

/** A fresh folder under os.tmpdir(), removed by `cleanTempDirs()`. */
export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `osts-diff-${prefix}-`));
  made.push(d);
  return d;
}

export function cleanTempDirs(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** Writes files (path relative to `root` → text), creating folders. */
export function writeFiles(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    const p = join(root, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text, { mode: 0o644 });
  }
}

/** The passwd home OpenSSH uses for `~` (it ignores $HOME). */
export const PASSWD_HOME = userInfo().homedir;
export const LOCAL_USER = userInfo().username;

function run(argv: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {}): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(argv[0], argv.slice(1), {
    env: opts.env ?? { PATH: process.env.PATH, LANG: 'C' },
    cwd: opts.cwd,
    input: opts.input ?? '',
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

let isolationChecked: string | undefined;

/** Why OpenSSH cannot be run with a private home here (undefined: it can). */
export function sshIsolationProblem(): string | undefined {
  if (isolationChecked !== undefined) return isolationChecked || undefined;
  const ssh = run(['ssh', '-V']);
  if (ssh.status !== 0) isolationChecked = 'OpenSSH client (ssh) not found';
  else {
    const d = tempDir('probe');
    const r = run(['unshare', '-m', 'sh', '-c', 'mount --bind "$1" "$2"', 'sh', d, PASSWD_HOME]);
    isolationChecked = r.status === 0 ? '' : `cannot bind a private home over "${PASSWD_HOME}" (unshare -m needs root): ${r.stderr.trim()}`;
  }
  return isolationChecked || undefined;
}

/** Runs `ssh args…` with `home` bound over the passwd home, in a private mount namespace. */
function sshInHome(home: string, args: string[], cwd?: string): { status: number; stdout: string; stderr: string } {
  return run(['unshare', '-m', 'sh', '-c', 'mount --bind "$1" "$2" && shift 2 && exec ssh "$@"', 'sh', home, PASSWD_HOME, ...args], { cwd });
}

/** Maps the passwd home in a path back to the case's home. */
function unhome(s: string, home: string): string {
  return s === PASSWD_HOME ? home : s.startsWith(`${PASSWD_HOME}/`) ? home + s.slice(PASSWD_HOME.length) : s;
}

/** `ssh -G -F file [extra] host`: keyword → values (one per output line, in order). Throws when ssh refuses. */
export function sshG(configFile: string, host: string, home: string, extra: string[] = []): Map<string, string[]> {
  const r = sshInHome(home, ['-G', '-F', configFile, ...extra, host]);
  if (r.status !== 0) throw new Error(`ssh -G refused (exit ${r.status}): ${r.stderr.trim()}`);
  const out = new Map<string, string[]>();
  for (const line of r.stdout.split('\n')) {
    const m = /^(\S+) (.*)$/.exec(line);
    if (!m) continue;
    const v = m[2].split(' ').map((x) => unhome(x, home)).join(' ');
    out.set(m[1], [...(out.get(m[1]) ?? []), v]);
  }
  return out;
}

/**
 * Runs `ssh -T -F file host` once (BatchMode), for what it does before the login: a ProxyCommand it starts. The
 * environment is PATH and LANG=C only (what `${VAR}` in the config can see).
 */
export function sshConnectOnce(configFile: string, host: string, home: string): { status: number; stderr: string } {
  const r = sshInHome(home, ['-T', '-F', configFile, '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', host]);
  return { status: r.status, stderr: r.stderr };
}

/** `sshConnectOnce` without blocking the event loop (for a server in this process). */
export function sshConnectOnceAsync(configFile: string, host: string, home: string): Promise<{ status: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('unshare', ['-m', 'sh', '-c', 'mount --bind "$1" "$2" && shift 2 && exec ssh "$@"', 'sh', home, PASSWD_HOME,
      '-T', '-F', configFile, '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', host], { env: { PATH: process.env.PATH, LANG: 'C' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ status: code ?? -1, stderr });
    });
  });
}

/** Whether `ssh -G` accepts the config for this host (exit 0), and its complaint otherwise. */
export function sshGStatus(configFile: string, host: string, home: string, extra: string[] = []): { ok: boolean; stderr: string } {
  const r = sshInHome(home, ['-G', '-F', configFile, ...extra, host]);
  return { ok: r.status === 0, stderr: r.stderr.trim() };
}

/**
 * The identity files OpenSSH really loads for a host, expanded (`~`, tokens), in order: `ssh -v` prints them
 * ("identity file X type N") after its transport is up; the transport is a ProxyCommand that answers with a banner
 * ssh refuses, so no network is touched and ssh stops right after.
 */
export function sshIdentityFiles(configFile: string, host: string, home: string): string[] {
  // The proxy sends a banner ssh refuses and lives on until ssh ends it: a proxy that exited at once would signal ssh
  // (SIGCHLD) while it prints the identity lines, and a line can get lost then.
  const proxy = `sh -c "printf 'SSH-1.0-differential\\r\\n'; exec sleep 20"`;
  const r = sshInHome(home, ['-v', '-T', '-F', configFile, '-o', `ProxyCommand=${proxy}`, '-o', 'BatchMode=yes', host]);
  const files: string[] = [];
  for (const m of r.stderr.matchAll(/^debug1: identity file (.+) type -?\d+$/gm)) {
    const f = unhome(m[1], home);
    if (files.length && f === `${files[files.length - 1]}-cert`) continue; // the certificate probed next to each key
    files.push(f);
  }
  if (files.length === 0) {
    throw new Error(`ssh -v did not get to loading identities: ${r.stderr.slice(-500)}`);
  }
  return files;
}

/**
 * `ssh-keygen -l -F name -f file`: the lines OpenSSH matches for `name` (1-based), with their marker ("REVOKED", "CA"
 * or ""). `-l` makes it parse each key as ssh does, so a line whose key does not parse is not reported.
 */
export function keygenFind(file: string, name: string): { line: number; marker: string }[] {
  const r = run(['ssh-keygen', '-l', '-F', name, '-f', file]);
  if (r.status !== 0 && r.status !== 1) throw new Error(`ssh-keygen -F failed (exit ${r.status}): ${r.stderr.trim()}`);
  return [...r.stdout.matchAll(/^# Host .* found: line (\d+) ?(\S*)$/gm)].map((m) => ({ line: Number(m[1]), marker: m[2] }));
}

/** A fresh public key blob (base64) of a type, made by ssh-keygen. */
export function newPublicKey(dir: string, type: 'ed25519' | 'ecdsa' | 'rsa', name: string): { type: string; b64: string } {
  const f = join(dir, name);
  const r = run(['ssh-keygen', '-q', '-t', type, ...(type === 'rsa' ? ['-b', '1024'] : []), '-N', '', '-C', '', '-f', f]);
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
  const [t, b64] = (run(['cat', `${f}.pub`]).stdout.trim().split(/\s+/));
  return { type: t, b64 };
}

// ------------------------------------------------------------------------------------------------ openstacksdk

const SDK_DRIVER = String.raw`
import json, sys, warnings, logging
warnings.simplefilter('ignore')
logging.disable(logging.CRITICAL)
from openstack import version
from openstack.config import loader
out = {'sdk': version.__version__}
try:
    c = loader.OpenStackConfig().get_one(sys.argv[1] or None)
    cfg = c.config
    verify, cert = c.get_requests_verify_args()
    out.update({
        'ok': True,
        'name': c.name,
        'region_name': c.region_name,
        'auth_type': cfg.get('auth_type'),
        'auth': cfg.get('auth', {}),
        'interface': cfg.get('interface'),
        'verify': verify,
        'cert': cert,
        'compute_api_version': cfg.get('compute_api_version'),
        'placement_api_version': cfg.get('placement_api_version'),
        'identity_api_version': cfg.get('identity_api_version'),
        'endpoint_overrides': {k[:-len('_endpoint_override')].replace('_', '-'): v for k, v in cfg.items() if k.endswith('_endpoint_override')},
        'api_timeout': cfg.get('api_timeout'),
    })
except Exception as e:
    out.update({'ok': False, 'error': type(e).__name__, 'message': str(e)})
print(json.dumps(out, default=str))
`;

export interface SdkAnswer {
  sdk: string;
  ok: boolean;
  error?: string;
  message?: string;
  name?: string;
  region_name?: string;
  auth_type?: string;
  auth?: Record<string, string>;
  interface?: string;
  verify?: boolean | string;
  cert?: string | [string, string] | null;
  compute_api_version?: string | null;
  placement_api_version?: string | null;
  identity_api_version?: string | null;
  endpoint_overrides?: Record<string, string>;
  api_timeout?: number | string | null;
}

let python: string | null | undefined;

/** A python3 that imports openstack (Debian's python3-openstacksdk), or null. */
export function sdkPython(): string | null {
  if (python !== undefined) return python;
  python = null;
  // Debian's interpreter first: a pyenv/venv python3 on PATH does not see Debian's dist-packages.
  for (const p of [process.env.OPENSTACKSDK_PYTHON, '/usr/bin/python3', 'python3']) {
    if (!p) continue;
    try {
      if (run([p, '-c', 'import openstack.config.loader'], { env: { PATH: process.env.PATH, LANG: 'C' } }).status === 0) {
        python = p;
        break;
      }
    } catch {
      // not this one
    }
  }
  return python;
}

/** openstacksdk's answer for `cloud` ('' = its default) with exactly this environment and working folder. */
export function sdkGetOne(cloud: string, env: Record<string, string>, cwd: string): SdkAnswer {
  const py = sdkPython();
  if (!py) throw new Error('python3-openstacksdk is not installed (bash scripts/setup.sh installs it)');
  const r = run([py, '-c', SDK_DRIVER, cloud], { env: { PATH: process.env.PATH ?? '', LANG: 'C', ...env }, cwd });
  if (r.status !== 0) throw new Error(`openstacksdk driver failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as SdkAnswer;
}
