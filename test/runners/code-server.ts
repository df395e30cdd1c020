// Starts code-server (a real VS Code from npm, installed by scripts/setup.sh into .cache/code-server) and
// Debian's Chromium through playwright-core, writing nothing outside the project: every run gets its own
// folder under .run/ for code-server's user data, extensions, XDG dirs, HOME, TMPDIR and the browser profile.
// Used by the extension-host runner (test/runners/extension-host.ts), the e2e helper
// (test/e2e/support/workbench.ts) and the demo (scripts/start.sh).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** The repository root (this file is test/runners/code-server.ts). */
export const repoRoot = resolve(__dirname, '..', '..');
export const codeServerBin = join(repoRoot, '.cache', 'code-server', 'node_modules', '.bin', 'code-server');
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The extension's id (publisher.name) as in package.json. */
export const extensionId = 'openstack-troubleshooter.openstack-troubleshooter';

/** User settings that keep the workbench quiet and offline (code-server-notes.md). */
export const quietSettings: Readonly<Record<string, unknown>> = {
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'security.workspace.trust.enabled': false,
  'window.restoreWindows': 'none',
  'workbench.enableExperiments': false,
  'chat.commandCenter.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  // run folders live inside this git checkout: don't offer to open the parent repository
  'git.openRepositoryInParentFolders': 'never',
};

/**
 * The extension's settings that point at the lab (.lab/clouds.yaml, .lab/ssh/config, .lab/ssh/known_hosts),
 * or an empty object when the lab has not been brought up in this clone.
 */
export function labSettings(): Record<string, unknown> {
  const lab = join(repoRoot, '.lab');
  const settings: Record<string, unknown> = {};
  if (existsSync(join(lab, 'clouds.yaml'))) settings['openstack.cloudsYamlPath'] = join(lab, 'clouds.yaml');
  if (existsSync(join(lab, 'ssh', 'config'))) settings['openstack.ssh.configFile'] = join(lab, 'ssh', 'config');
  if (existsSync(join(lab, 'ssh', 'known_hosts'))) settings['openstack.ssh.knownHostsFile'] = join(lab, 'ssh', 'known_hosts');
  return settings;
}

/** A fresh folder `.run/<kind>-<id>` (short: code-server puts unix sockets in TMPDIR, max 107 chars). */
export function newRunDir(kind: string): string {
  pruneRunDirs(kind);
  const id = Date.now().toString(36) + Math.random().toString(36).slice(2, 5);
  const dir = join(repoRoot, '.run', `${kind}-${id}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Folders kept after failures pile up: keep the newest `keep` of a kind, and anything from the last hour. */
function pruneRunDirs(kind: string, keep = 5): void {
  const root = join(repoRoot, '.run');
  if (!existsSync(root)) return;
  const old = readdirSync(root)
    .filter((d) => d.startsWith(`${kind}-`))
    .map((d) => ({ d, t: statSync(join(root, d)).mtimeMs }))
    .sort((a, b) => b.t - a.t)
    .slice(keep)
    .filter((x) => Date.now() - x.t > 3600_000);
  for (const { d } of old) rmSync(join(root, d), { recursive: true, force: true });
}

/**
 * TMPDIR for a run: `<runDir>/tmp`, or, when that path is too long for the unix sockets VS Code creates
 * there (`vscode-ipc-<uuid>.sock`, 108 bytes at most), a short symlink in the system temp folder that points
 * to it, so the files still land in the project. The link is removed by removeRunDir().
 */
function runTmpDir(runDir: string): string {
  const tmp = join(runDir, 'tmp');
  mkdirSync(tmp, { recursive: true });
  if (tmp.length + 53 <= 107) return tmp;
  const link = join(shortTmp(), `ost-${basename(runDir)}`);
  if (!existsSync(link)) symlinkSync(tmp, link);
  return link;
}

function shortTmp(): string {
  return existsSync('/tmp') ? '/tmp' : tmpdir();
}

/** The environment that keeps a child's writes inside `runDir` (XDG dirs, HOME, TMPDIR). */
export function runEnv(runDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const dirs = { HOME: 'home', XDG_CONFIG_HOME: 'xdg/config', XDG_DATA_HOME: 'xdg/data', XDG_CACHE_HOME: 'xdg/cache', XDG_STATE_HOME: 'xdg/state' };
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, sub] of Object.entries(dirs)) {
    env[k] = join(runDir, sub);
    mkdirSync(env[k] as string, { recursive: true });
  }
  env.TMPDIR = runTmpDir(runDir);
  // Never inherit a VS Code / Electron context from the shell that started us.
  for (const k of Object.keys(env)) if (/^(VSCODE_|ELECTRON_)/.test(k)) delete env[k];
  env.EXTENSIONS_GALLERY = '{"serviceUrl":""}';
  return { ...env, ...extra };
}

/** The first free TCP port on 127.0.0.1 at or after `from`. */
export async function freePort(from = 8080, to = from + 200): Promise<number> {
  for (let port = from; port <= to; port++) {
    const free = await new Promise<boolean>((ok) => {
      const srv = createServer();
      srv.once('error', () => ok(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => ok(true)));
    });
    if (free) return port;
  }
  throw new Error(`No free port on 127.0.0.1 between ${from} and ${to}.`);
}

export interface CodeServerOptions {
  /** The run folder (from newRunDir): user data, extensions, XDG dirs, logs. */
  runDir: string;
  /** User settings merged over quietSettings. */
  settings?: Record<string, unknown>;
  /** Keep what is already in the user settings.json (a reused run folder, e.g. the demo's); ours win. */
  keepUserSettings?: boolean;
  /** Folder of installed extensions; default `<runDir>/extensions`. */
  extensionsDir?: string;
  /** .vsix files to install before starting. */
  vsix?: string[];
  /** Port to try first (the next free one is taken); default 8080 + a little randomness to avoid clashes. */
  port?: number;
  /** Extra environment for code-server and its extension hosts. */
  env?: Record<string, string>;
  /** How long to wait for /healthz; default 60 s. */
  startTimeoutMs?: number;
}

export interface CodeServer {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly runDir: string;
  readonly userDataDir: string;
  readonly extensionsDir: string;
  /** code-server's stdout+stderr. */
  readonly logFile: string;
  readonly process: ChildProcess;
  /** The workbench URL with `folder` and optional `payload` pairs, URL-encoded. */
  workbenchUrl(folder: string, payload?: Array<[string, string]>): string;
  /** A `vscode-remote://host:port/abs/path` URI of a path on this machine, for payload entries. */
  remoteUri(absPath: string): string;
  /** Stops code-server and everything it started (its process group). */
  stop(): Promise<void>;
}

const execFileP = promisify(execFile);

/** Installs a .vsix into an extensions folder with code-server's own CLI. */
export async function installVsix(vsix: string, extensionsDir: string, runDir: string): Promise<void> {
  const env = runEnv(runDir);
  await execFileP(codeServerBin, ['--extensions-dir', extensionsDir, '--user-data-dir', join(runDir, 'user-data'), '--install-extension', vsix, '--force'], {
    env,
    timeout: 120_000,
  }).catch((e: Error & { stdout?: string; stderr?: string }) => {
    throw new Error(`code-server could not install "${vsix}": ${(e.stderr || e.stdout || e.message).trim()}`);
  });
}

/**
 * The extension's settings with `"scope": "machine"` (package.json): in a code-server window the workbench is remote,
 * and VS Code applies machine-scoped settings only from the remote machine's settings (`<user-data>/Machine`), not
 * from the user's (what "Preferences: Open Remote Settings" edits). Workspace settings never apply to them.
 */
function machineScopedKeys(): Set<string> {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    contributes?: { configuration?: { properties?: Record<string, { scope?: string }> } | { properties?: Record<string, { scope?: string }> }[] };
  };
  const conf = pkg.contributes?.configuration;
  const blocks = Array.isArray(conf) ? conf : conf ? [conf] : [];
  return new Set(blocks.flatMap((b) => Object.entries(b.properties ?? {}).filter(([, v]) => v.scope === 'machine').map(([k]) => k)));
}

function writeSettings(userDataDir: string, settings: Record<string, unknown>, keepExisting = false): void {
  const machine = machineScopedKeys();
  const machineSettings = Object.fromEntries(Object.entries(settings).filter(([k]) => machine.has(k)));
  writeSettingsFile(join(userDataDir, 'Machine'), machineSettings, keepExisting);
  writeSettingsFile(join(userDataDir, 'User'), settings, keepExisting);
}

function writeSettingsFile(dir: string, settings: Record<string, unknown>, keepExisting: boolean): void {
  const file = join(dir, 'settings.json');
  mkdirSync(dir, { recursive: true });
  let existing: Record<string, unknown> = {};
  if (keepExisting && existsSync(file)) {
    try {
      existing = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch {
      existing = {}; // settings with comments: start over from ours
    }
  }
  writeFileSync(file, JSON.stringify({ ...existing, ...settings }, null, 2) + '\n');
}

/** Starts code-server on 127.0.0.1 in its own process group and waits for /healthz. */
export async function startCodeServer(opts: CodeServerOptions): Promise<CodeServer> {
  if (!existsSync(codeServerBin)) throw new Error(`code-server is not installed at "${codeServerBin}". Run bash scripts/setup.sh.`);
  const runDir = opts.runDir;
  const userDataDir = join(runDir, 'user-data');
  const extensionsDir = opts.extensionsDir ?? join(runDir, 'extensions');
  mkdirSync(extensionsDir, { recursive: true });
  writeSettings(userDataDir, { ...quietSettings, ...(opts.settings ?? {}) }, opts.keepUserSettings);
  for (const v of opts.vsix ?? []) await installVsix(v, extensionsDir, runDir);

  const host = '127.0.0.1';
  const port = await freePort(opts.port ?? 8080 + Math.floor(Math.random() * 400));
  const logFile = join(runDir, 'code-server.log');
  const out = openSync(logFile, 'a');
  const env = runEnv(runDir, opts.env);
  const args = [
    '--bind-addr', `${host}:${port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check',
    '--disable-workspace-trust', '--disable-getting-started-override', '--disable-proxy',
    '--extensions-dir', extensionsDir, '--user-data-dir', userDataDir, '--config', join(runDir, 'code-server.yaml'),
  ];
  writeFileSync(join(runDir, 'code-server.yaml'), `bind-addr: ${host}:${port}\nauth: none\ncert: false\n`);
  // detached: a new session and process group, so stop() reaches the file watcher and extension hosts too.
  const child = spawn(codeServerBin, args, { cwd: runDir, env, detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = signal ?? String(code)));

  const url = `http://${host}:${port}`;
  const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
  for (;;) {
    if (exited !== undefined) throw new Error(`code-server exited (${exited}) before it was ready: ${tail(logFile)}`);
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      killGroup(child);
      throw new Error(`code-server did not answer ${url}/healthz in time: ${tail(logFile)}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }

  const remoteUri = (p: string) => `vscode-remote://${host}:${port}${p}`;
  return {
    url, host, port, runDir, userDataDir, extensionsDir, logFile, process: child, remoteUri,
    workbenchUrl(folder, payload) {
      const q = new URLSearchParams({ folder });
      if (payload?.length) q.set('payload', JSON.stringify(payload));
      return `${url}/?${q.toString()}`;
    },
    async stop() {
      if (exited !== undefined) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      killGroup(child, 'SIGTERM');
      const t = setTimeout(() => killGroup(child, 'SIGKILL'), 5000);
      await gone;
      clearTimeout(t);
      killGroup(child, 'SIGKILL'); // stragglers of the group (the watcher) after the main process is gone
    },
  };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    /* already gone */
  }
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** Debian's Chromium, headless, with a fresh profile in the run folder (flags from code-server-notes.md). */
export async function launchBrowser(runDir: string, viewport = { width: 1400, height: 900 }): Promise<BrowserSession> {
  const profile = join(runDir, 'chromium-profile');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    viewport,
    permissions: ['clipboard-read', 'clipboard-write'], // documentText() copies the whole editor model
    env: runEnv(runDir) as Record<string, string>,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return { context, page, close: () => context.close() };
}

/** Removes a run folder, unless `keep` (e.g. after a failure) or KEEP_RUN=1. */
export function removeRunDir(runDir: string, keep = false): void {
  rmSync(join(shortTmp(), `ost-${basename(runDir)}`), { force: true });
  if (keep || process.env.KEEP_RUN === '1') return;
  rmSync(runDir, { recursive: true, force: true });
}
