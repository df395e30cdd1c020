import { errorMessage, TroubleshooterError, throwIfAborted } from '../errors';
import { runLocal } from '../local-run';
import type { Logger } from '../log';
import { logCall, nullLogger, redact } from '../log';
import { unifiedDiff } from './diff';
import { gatherFacts, type ConfigFacts } from './facts';
import type { ConfigFileStore, FileVersion } from './file-store';
import { resolveFileEdit } from './fixes';
import { lintConfig } from './lint';
import type { Finding, Fix, HostCommand } from './model';
import type { ConfigReader } from './option-file';

/** One file of one host as the plan will change it. */
export interface PlannedFile {
  path: string;
  /** Text at read time (undefined: the file will be created). */
  before: string | undefined;
  version: FileVersion | null;
  after: string;
  /** Unified diff `before → after` for the preview. */
  diff: string;
}

export interface HostPlan {
  host: string;
  /** `change`: files differ; `clean`: the finding is not present there; `error`: could not read or compute. */
  status: 'change' | 'clean' | 'error';
  files: PlannedFile[];
  /** Commands to run after writing (daemon-reload, restart…), only on confirmation. */
  commands: HostCommand[];
  findings: Finding[];
  error?: string;
}

export interface HostApplyResult {
  host: string;
  written: { path: string; backupPath?: string }[];
  /** Set when a write failed; files written before the failure are listed in `written` (each has a backup). */
  error?: string;
}

/** A ConfigReader over a ConfigFileStore's host, so facts (includes, drop-ins) come from that same host. */
export function storeReader(store: ConfigFileStore & { list?: (host: string, dir: string, signal?: AbortSignal) => Promise<string[] | undefined> }, host: string, signal?: AbortSignal): ConfigReader {
  return {
    read: async (p) => {
      try {
        return (await store.read(host, p, signal)).text;
      } catch {
        return undefined;
      }
    },
    list: async (d) => (store.list ? store.list(host, d, signal).catch(() => undefined) : undefined),
  };
}

function dedupCommands(cmds: HostCommand[]): HostCommand[] {
  const seen = new Set<string>();
  return cmds.filter((c) => {
    const k = c.argv.join('\u0000');
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export interface PlanOptions {
  hosts: string[];
  /** The file to fix on each host (same path everywhere). */
  path: string;
  /** Finding code whose preferred fix to apply, e.g. `libvirt/tcp-disabled`. */
  code: string;
  store: ConfigFileStore & { list?: (host: string, dir: string, signal?: AbortSignal) => Promise<string[] | undefined> };
  /** Extra facts per host (nova's transport, the daemon model…); files are read from the host itself. */
  facts?: (host: string) => ConfigFacts | Promise<ConfigFacts>;
  /** Pick a fix other than the preferred one (by title). */
  fixTitle?: string;
  signal?: AbortSignal;
  log?: Logger;
}

/**
 * Computes, per host, what applying the fix for `code` to `path` would change — reading each host's own file
 * and facts, so hosts that differ get their own edits (or none). Nothing is written.
 */
export async function planFixOnHosts(o: PlanOptions): Promise<HostPlan[]> {
  const log = o.log ?? nullLogger;
  return Promise.all(
    o.hosts.map(async (host): Promise<HostPlan> => {
      const started = performance.now();
      try {
        throwIfAborted(o.signal, 'Planning the fix');
        const file = await o.store.read(host, o.path, o.signal);
        if (file.text === undefined) throw new TroubleshooterError('NotFound', `No such file on "${host}": "${o.path}".`, { subject: host });
        const given = o.facts ? await o.facts(host) : {};
        const facts = await gatherFacts(storeReader(o.store, host, o.signal), { path: o.path, text: file.text }, given);
        const findings = lintConfig({ path: o.path, text: file.text, facts }).findings.filter((f) => f.code === o.code);
        logCall(log, `plan ${o.code} ${host}:${o.path}`, started);
        const fix: Fix | undefined = findings.flatMap((f) => f.fixes).find((x) => (o.fixTitle ? x.title === o.fixTitle : x.preferred));
        if (!fix) return { host, status: 'clean', files: [], commands: [], findings };
        const files: PlannedFile[] = [];
        for (const fe of fix.files) {
          const path = fe.path ?? o.path;
          const cur = path === o.path ? file : await o.store.read(host, path, o.signal);
          const after = resolveFileEdit(fe, cur.text);
          if (after === cur.text) continue;
          files.push({ path, before: cur.text, version: cur.version, after, diff: unifiedDiff(cur.text ?? '', after, cur.text === undefined ? '/dev/null' : `${host}:${path}`, `${host}:${path}`) });
        }
        return { host, status: files.length ? 'change' : 'clean', files, commands: dedupCommands([...(fix.commands ?? [])]), findings };
      } catch (e) {
        logCall(log, `plan ${o.code} ${host}:${o.path}`, started, e);
        return { host, status: 'error', files: [], commands: [], findings: [], error: redact(errorMessage(e)) };
      }
    }),
  );
}

/** The preview the user confirms: every host's diff, and the commands that would follow. */
export function planPreview(plans: HostPlan[]): string {
  const parts: string[] = [];
  for (const p of plans) {
    if (p.status === 'error') parts.push(`# ${p.host}: cannot apply: ${p.error}\n`);
    else if (p.status === 'clean') parts.push(`# ${p.host}: nothing to change\n`);
    else {
      parts.push(...p.files.map((f) => f.diff));
      if (p.commands.length) parts.push(`# then on ${p.host}:\n${p.commands.map((c) => `#   ${c.sudo ? 'sudo ' : ''}${c.argv.join(' ')}`).join('\n')}\n`);
    }
  }
  return parts.join('\n');
}

/**
 * Writes the planned files (atomic, with backup, refusing files changed since the plan read them). Hosts are
 * independent: a conflict on one does not stop the others. Restart commands are NOT run here.
 */
export async function applyHostPlans(plans: HostPlan[], store: ConfigFileStore, signal?: AbortSignal, log: Logger = nullLogger): Promise<HostApplyResult[]> {
  return Promise.all(
    plans
      .filter((p) => p.status === 'change')
      .map(async (p): Promise<HostApplyResult> => {
        const written: HostApplyResult['written'] = [];
        for (const f of p.files) {
          const started = performance.now();
          try {
            const r = await store.write(p.host, f.path, f.after, f.version, signal);
            logCall(log, `write ${p.host}:${f.path}`, started);
            written.push({ path: f.path, backupPath: r.backupPath });
          } catch (e) {
            logCall(log, `write ${p.host}:${f.path}`, started, e);
            return { host: p.host, written, error: redact(errorMessage(e)) };
          }
        }
        return { host: p.host, written };
      }),
  );
}

/** Runs a host command; the SSH layer implements it for remote hosts. */
export interface HostCommandRunner {
  run(host: string, command: HostCommand, signal?: AbortSignal): Promise<{ exitCode: number; stdout: string; stderr: string }>;
}

/** Runs commands on this machine (host "local"): argv only, no shell, a deadline per command (core/local-run.ts). */
export const localCommandRunner: HostCommandRunner = {
  async run(_host, command, signal) {
    const argv = command.sudo && process.getuid?.() !== 0 ? ['sudo', '-n', ...command.argv] : command.argv;
    const r = await runLocal(argv, { timeoutMs: 120_000, signal });
    return { exitCode: r.exitCode, stdout: r.stdout, stderr: redact(r.stderr).trim() };
  },
};
