import { KOLLA_DIR, TRIPLEO_DIR } from '../logs/sources';
import type { RemoteCommand } from '../remote/command';
import { validateLowercaseUuid } from '../remote/validate';
import { script } from './commands/script';
import { HostRunner, valueOf, type GatherContext } from './gather';

/**
 * Why a live migration failed when nova does not say so in the instance action. A failure inside libvirt's
 * migration job (the target's libvirtd refusing the connection, a migration stream cut off, a timeout) happens in a
 * nova-compute green thread of the *source* host: every event of the action still reads "Success", the migration ends
 * in `failed`, and the reason is only in that host's nova-compute.log, on a line without request id
 * (`ERROR nova.virt.libvirt.driver [-] [instance: <uuid>] Live Migration failure: …`). This reads those lines.
 */

/** Where deployments put nova-compute's log (Debian/Ubuntu packages, kolla, TripleO containers). */
export const NOVA_COMPUTE_LOGS = ['/var/log/nova/nova-compute.log', `${KOLLA_DIR}/nova/nova-compute.log`, `${TRIPLEO_DIR}/nova/nova-compute.log`];

export interface ComputeLogLine {
  /** The file it came from. */
  file: string;
  /** The whole line as written. */
  line: string;
  /** Its oslo.log timestamp as written (host-local time). */
  time: string;
  level: string;
  logger: string;
  /** The message after the context and the "[instance: …]" prefix. */
  message: string;
}

const MAX_LINES = 40;

/** ERROR and WARNING lines of nova-compute naming this instance, the newest 40 of each log file that exists. */
export function instanceComputeLogLines(instanceUuid: string): RemoteCommand<ComputeLogLine[]> {
  validateLowercaseUuid(instanceUuid);
  const body = [
    'u=$1; shift',
    'for f in "$@"; do',
    '  [ -f "$f" ] || continue',
    // a line is cut at 4 KiB on the host: a traceback line can be long, the reason is at its start
    `  grep -F -- "$u" "$f" 2>/dev/null | grep -E '^[0-9-]+ [0-9:.]+ [0-9]+ (ERROR|WARNING) ' | tail -n ${MAX_LINES} | cut -c1-4096 | sed "s|^|$f\t|"`,
    'done',
    'exit 0',
  ].join('\n');
  return { argv: script(body, [instanceUuid, ...NOVA_COMPUTE_LOGS]), sudo: true, timeoutMs: 20_000, parse: parseComputeLogLines };
}

const OSLO = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?) \d+ (ERROR|WARNING) (\S+) \[[^\]]*\] (?:\[instance: [0-9a-f-]{36}\] )?(.*)$/;

export function parseComputeLogLines(stdout: string): ComputeLogLine[] {
  const out: ComputeLogLine[] = [];
  for (const raw of stdout.split('\n')) {
    const tab = raw.indexOf('\t');
    if (tab < 0) continue;
    const file = raw.slice(0, tab);
    const line = raw.slice(tab + 1);
    const m = OSLO.exec(line);
    if (m) out.push({ file, line, time: m[1], level: m[2], logger: m[3], message: m[4] });
  }
  return out;
}

/** Messages nova-compute writes when libvirt's migration job fails, best first. */
const FAILURE_MESSAGES: RegExp[] = [
  /^Live Migration failure: (.*)$/,
  /^Live migration failed\.?(.*)$/i,
  /^Migration operation has aborted/,
  /^Pre live migration failed at (\S+): (.*)$/,
];

export interface ComputeLogFailure {
  host: string;
  /** The reason, in nova's (libvirt's) own words. */
  reason: string;
  /** The lines it is read from. */
  evidence: ComputeLogLine[];
}

/**
 * The failure of a live migration of `instanceUuid` as the source's nova-compute logged it, at or after `since`
 * (compared as written: the lines carry no zone, so a few seconds' slack and the host's own clock are assumed).
 */
export function migrationFailureFromLines(host: string, lines: ComputeLogLine[], since?: Date): ComputeLogFailure | undefined {
  const cutoff = since ? new Date(since.getTime() - 60_000) : undefined;
  const recent = cutoff ? lines.filter((l) => !localTimeBefore(l.time, cutoff)) : lines;
  for (const re of FAILURE_MESSAGES) {
    const hit = recent.filter((l) => l.level === 'ERROR' && re.test(l.message));
    if (hit.length === 0) continue;
    const first = hit[hit.length - 1];
    const m = re.exec(first.message)!;
    // oslo.log repeats the exception after the message ("…: Connection refused: libvirt.libvirtError: …"): keep the first
    const reason = ((m[m.length - 1] || first.message).replace(/: [\w.]+(?:Error|Exception)(?:_Remote)?: .*$/, '').trim()) || first.message;
    const aborted = recent.filter((l) => l.level === 'ERROR' && /^Migration operation has aborted/.test(l.message) && l !== first);
    return { host, reason, evidence: [first, ...aborted.slice(-1)] };
  }
  return undefined;
}

/** A log time "YYYY-MM-DD HH:MM:SS.mmm" read as UTC and as local time: before the cutoff only if both say so. */
function localTimeBefore(time: string, cutoff: Date): boolean {
  const iso = time.replace(' ', 'T');
  const asUtc = Date.parse(`${iso}Z`);
  const asLocal = Date.parse(iso);
  if (Number.isNaN(asUtc) || Number.isNaN(asLocal)) return false;
  return Math.max(asUtc, asLocal) < cutoff.getTime();
}

/** Reads the source host's nova-compute log for the failure of this instance's live migration. */
export async function gatherMigrationLogFailure(ctx: GatherContext, host: string, instanceUuid: string, since?: Date): Promise<ComputeLogFailure | undefined> {
  const run = new HostRunner(ctx);
  const lines = valueOf(await run.run(host, 'read nova-compute.log', instanceComputeLogLines(instanceUuid)));
  return lines ? migrationFailureFromLines(host, lines, since) : undefined;
}
