import { redact } from '../log';
import type { CheckReport, Finding, FindingStatus } from './types';

/**
 * One rendering of a check report for the editor and for tickets (Markdown), and one for machines (JSON).
 * Everything passes through `redact`, so a file line with a password never reaches a ticket.
 */

const ICON: Record<FindingStatus, string> = { pass: '✅', warn: '⚠️', fail: '❌', skip: '⏭️' };
const WORD: Record<FindingStatus, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'SKIP' };

export function statusLabel(s: FindingStatus): string {
  return `${ICON[s]} ${WORD[s]}`;
}

function counts(findings: readonly Finding[]): string {
  const c: Record<FindingStatus, number> = { pass: 0, warn: 0, fail: 0, skip: 0 };
  for (const f of findings) c[f.status]++;
  return (['fail', 'warn', 'pass', 'skip'] as const).filter((s) => c[s]).map((s) => `${c[s]} ${s}`).join(', ');
}

function fence(lines: string[]): string {
  const body = lines.join('\n');
  const ticks = /```/.test(body) ? '````' : '```';
  return `${ticks}text\n${body}\n${ticks}`;
}

export function renderMarkdown(report: CheckReport): string {
  const out: string[] = [];
  out.push(`# ${report.title}`, '');
  out.push(`**Result: ${statusLabel(report.status)}** — ${counts(report.findings)}`, '');
  const subject = Object.entries(report.subject);
  if (subject.length) out.push(...subject.map(([k, v]) => `- ${k}: \`${v}\``), '');
  out.push(`Checked ${report.startedAt || 'now'} in ${(report.durationMs / 1000).toFixed(1)} s.`, '');
  if (report.unreachable.length) {
    out.push('> Hosts that could not be reached (their items are skipped):');
    for (const u of report.unreachable) out.push(`> - \`${u.host}\`: ${u.reason}`);
    out.push('');
  }
  out.push('| | Item | Finding |', '|---|---|---|');
  for (const f of report.findings) out.push(`| ${ICON[f.status]} | ${cell(f.title)} | ${cell(f.summary)} |`);
  out.push('');
  const order: FindingStatus[] = ['fail', 'warn', 'pass', 'skip'];
  for (const status of order) {
    for (const f of report.findings.filter((x) => x.status === status)) {
      out.push(`## ${statusLabel(f.status)} — ${f.title}`, '', f.summary, '');
      if (f.evidence.length) out.push('Evidence:', '', fence(f.evidence), '');
      if (f.fix) {
        out.push(`**Fix:** ${f.fix.text}`, '');
        if (f.fix.quickFix) out.push(`Config doctor quick fix: \`${f.fix.quickFix.rule}\` in \`${f.fix.quickFix.file}\` on \`${f.fix.quickFix.host}\` (open the file to apply it).`, '');
        if (f.fix.commands?.length) out.push(fence(f.fix.commands.map((c) => (c.host ? `# on ${c.host}\n${c.command}` : c.command))), '');
        if (f.fix.links?.length) out.push(...f.fix.links.map((l) => `- <${l}>`), '');
      }
    }
  }
  return redact(out.join('\n'));
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The report as JSON (stable keys, for tickets and CI). */
export function renderJson(report: CheckReport): string {
  return redact(JSON.stringify(report, null, 2));
}

/** A few lines for a terminal: one per item, then the fixes of failing items. */
export function renderText(report: CheckReport): string {
  const out: string[] = [`${report.title}: ${WORD[report.status]} (${counts(report.findings)})`];
  for (const u of report.unreachable) out.push(`  unreachable ${u.host}: ${u.reason}`);
  for (const f of report.findings) {
    out.push(`  ${WORD[f.status].padEnd(4)}  ${f.title}: ${f.summary}`);
    if (f.status === 'fail' || f.status === 'warn') {
      for (const e of f.evidence) out.push(`          · ${e}`);
      if (f.fix) {
        out.push(`          fix: ${f.fix.text}`);
        if (f.fix.quickFix) out.push(`          quick fix: ${f.fix.quickFix.rule} in ${f.fix.quickFix.file} on ${f.fix.quickFix.host}`);
        for (const c of f.fix.commands ?? []) out.push(`          $ ${c.host ? `[${c.host}] ` : ''}${c.command}`);
      }
    }
  }
  return redact(out.join('\n'));
}
