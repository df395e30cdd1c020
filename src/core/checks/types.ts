/**
 * The check model: gatherers collect facts (from the OpenStack API and from hosts over SSH), pure evaluations turn
 * facts into findings, and a report is rendered once (Markdown for the editor and tickets, JSON for machines).
 */

export type FindingStatus = 'pass' | 'warn' | 'fail' | 'skip';

/** How to fix a finding: plain text, a command to run on a host, and/or the config doctor's quick fix for a file. */
export interface Fix {
  /** One or two sentences saying what to change. */
  text: string;
  /** Commands to run, in order (shown as a code block). */
  commands?: { host?: string; command: string }[];
  /** The config doctor rule that fixes it in `file` on `host` (its quick fix applies the edit). */
  quickFix?: { host: string; file: string; rule: string };
  /** Documentation links. */
  links?: string[];
}

export interface Finding {
  /** Stable id of the item, e.g. "transport", "cpu", "services". */
  id: string;
  /** Short title of the item: "Migration transport (libvirt TCP 16509)". */
  title: string;
  status: FindingStatus;
  /** One sentence: what was found (why it passes, fails, or was skipped). */
  summary: string;
  /** What the conclusion rests on: command outputs, API values, file lines (already redacted). */
  evidence: string[];
  fix?: Fix;
  /** The hosts the item is about (for grouping and "skip because host X…"). */
  hosts?: string[];
}

/**
 * A check's id: one of the registry's (src/core/checks/registry.ts), which test/unit/checks/registry.test.ts holds
 * against package.json, so a new check does not also edit a union here.
 */
export type CheckKind = string;

export interface CheckReport {
  kind: CheckKind;
  /** "Live-migration readiness of vm1 from compute1 to compute2". */
  title: string;
  /** What was checked: server, source, target, cloud, … */
  subject: Record<string, string>;
  /** Worst status of the findings (skip counts only when nothing else ran). */
  status: FindingStatus;
  findings: Finding[];
  startedAt: string;
  durationMs: number;
  /** Hosts that could not be reached, with the reason (their items are skipped). */
  unreachable: { host: string; reason: string }[];
}

const ORDER: Record<FindingStatus, number> = { pass: 0, skip: 1, warn: 2, fail: 3 };

/** The overall status: fail > warn > pass; "skip" only when every item was skipped. */
export function overallStatus(findings: readonly Finding[]): FindingStatus {
  if (findings.length === 0) return 'skip';
  let worst: FindingStatus = 'pass';
  let ran = false;
  for (const f of findings) {
    if (f.status !== 'skip') ran = true;
    if (ORDER[f.status] > ORDER[worst] && f.status !== 'skip') worst = f.status;
  }
  return ran ? worst : 'skip';
}

/** CLI exit code of a report: 0 pass (or warn), 1 fail. Errors (3) are the caller's. */
export function exitCodeOf(report: Pick<CheckReport, 'status'>): number {
  return report.status === 'fail' ? 1 : 0;
}

export function finding(
  id: string,
  title: string,
  status: FindingStatus,
  summary: string,
  evidence: string[] = [],
  fix?: Fix,
  hosts?: string[],
): Finding {
  const f: Finding = { id, title, status, summary, evidence };
  if (fix) f.fix = fix;
  if (hosts && hosts.length) f.hosts = hosts;
  return f;
}

export function skipped(id: string, title: string, reason: string, hosts?: string[]): Finding {
  return finding(id, title, 'skip', reason, [], undefined, hosts);
}
