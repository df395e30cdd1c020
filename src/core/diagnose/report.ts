import type { CheckReport, Finding, Fix } from '../checks/types';
import type { Diagnosis, DiagnosisFinding, EvidenceItem } from './types';

/**
 * A diagnosis in the checks' one shape (a CheckReport of kind "diagnose"): each matched signature is a failing
 * item whose summary is the cause, whose evidence is the cited records and whose fix is the signature's; when
 * nothing matched, one passing item says what was looked at. So the report documents, exports, quick fixes and the
 * CLI's renderers of the checks serve diagnoses too.
 */

function timeOf(us: number | undefined): string {
  return us === undefined ? '' : `${new Date(Math.floor(us / 1000)).toISOString().replace('T', ' ').replace('Z', '')} `;
}

/** One evidence line: "[label] host service file:line  text". */
export function evidenceLine(e: EvidenceItem): string {
  const where = [e.host, e.service, e.file ? `${e.file}${e.lineNo ? `:${e.lineNo}` : ''}` : undefined].filter(Boolean).join(' ');
  // a log line carries its own time; the record's UTC time is added only when the line has none
  const time = e.ts !== undefined && !/^\d{4}-\d\d-\d\d|^\[/.test(e.text) ? timeOf(e.ts) : '';
  return `${e.label ? `[${e.label}] ` : ''}${time}${where ? `${where}: ` : ''}${e.text}`;
}

function mergeFixes(f: DiagnosisFinding): Fix | undefined {
  if (f.fixes.length === 0) return undefined;
  const fix: Fix = { text: f.fixes.map((x) => x.text).join(' ') };
  const commands = f.fixes.flatMap((x) => x.commands ?? []);
  if (commands.length) fix.commands = commands;
  const quick = f.fixes.find((x) => x.quickFix)?.quickFix;
  if (quick) fix.quickFix = quick;
  const links = [...new Set(f.fixes.flatMap((x) => x.links ?? []))];
  if (links.length) fix.links = links;
  return fix;
}

export function diagnosisReport(d: Diagnosis): CheckReport {
  const subject: Record<string, string> = { [d.subject.kind]: d.subject.name ? `${d.subject.name} (${d.subject.id})` : d.subject.id };
  const findings: Finding[] = d.findings.map((f) => {
    const fix = mergeFixes(f);
    return {
      id: f.signature,
      title: f.title,
      status: 'fail',
      summary: f.cause,
      evidence: f.evidence.map(evidenceLine),
      ...(fix ? { fix } : {}),
      hosts: [...new Set(f.evidence.map((e) => e.host).filter((h): h is string => !!h))],
    };
  });
  if (findings.length === 0) {
    findings.push({
      id: 'nothing-matched',
      title: 'No known failure signature matched',
      status: 'pass',
      summary: `None of the ${d.signaturesTried} signatures matched what was looked at. That is not proof that nothing failed: read the records below, or add a signature.`,
      evidence: d.lookedAt,
    });
  } else {
    findings.push({ id: 'looked-at', title: 'What was looked at', status: 'pass', summary: `${d.signaturesTried} signatures tried.`, evidence: d.lookedAt });
  }
  if (d.notes.length) findings.push({ id: 'not-gathered', title: 'What could not be looked at', status: 'skip', summary: 'Some evidence could not be gathered; signatures that need it could not match.', evidence: d.notes });
  return {
    kind: 'diagnose',
    title: `Diagnosis of ${d.subject.kind === 'logs' ? 'the logs of' : d.subject.kind} ${d.subject.name ?? d.subject.id}`,
    subject,
    status: d.findings.length ? 'fail' : 'pass',
    findings,
    startedAt: d.startedAt,
    durationMs: d.durationMs,
    unreachable: [],
  };
}
