import type { Timeline, TimelineStep } from './types';

/**
 * Text forms of a timeline: the CLI's table (`logs correlate … --timeline`) and the summary at the top of the
 * correlated log document (the same rows behind `# `), so the text alone tells the story.
 */

/** `850 ms`, `3.41 s`, `2 min 05 s`, `3 h 07 min`, `8 d 20 h`. */
export function formatDuration(us: number): string {
  if (us < 1000) return us <= 0 ? '0 ms' : '<1 ms';
  if (us < 1_000_000) return `${Math.round(us / 1000)} ms`;
  if (us < 60_000_000) return `${(us / 1e6).toFixed(2)} s`;
  const s = Math.round(us / 1e6);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  const m = Math.round(s / 60);
  if (m < 1440) return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
  const h = Math.round(m / 60);
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** `22:35:34.606` (UTC, like the merged document's times). */
export function formatClock(us: number): string {
  return new Date(Math.floor(us / 1000)).toISOString().slice(11, 23);
}

const OUTCOME: Record<TimelineStep['outcome'], string> = { ok: 'ok', failed: 'FAILED', unknown: '…' };

/**
 * One line about the whole story: steps, total time, outcome and where it failed. "no step failed" rather than a
 * success: a failure logged without the request's context (nova's libvirt driver logs a live migration's failure
 * under `[-]`) is only in an instance's story, not in the request's.
 */
export function headline(t: Timeline): string {
  if (t.steps.length === 0) return `No known step among ${t.records} records.`;
  const total = formatDuration(t.endUs - t.startUs);
  const failing = t.steps.find((s) => s.id === t.failingStep);
  const outcome = failing ? `FAILED at "${failing.label}" (${failing.host} ${failing.service})` : t.outcome === 'ok' ? 'no step failed' : 'outcome unknown';
  return `${t.steps.length} steps in ${total} from ${t.records} records: ${outcome}`;
}

/** The table rows: start, duration, host, service, step (with detail), outcome; the failing step marked. */
export function stepRows(t: Timeline, opts: { maxLabel?: number } = {}): string[] {
  const max = opts.maxLabel ?? 100;
  const host = Math.max(4, ...t.steps.map((s) => s.host.length));
  const service = Math.max(7, ...t.steps.map((s) => s.service.length));
  const rows = [`${'START'.padEnd(12)}  ${'DURATION'.padStart(10)}  ${'HOST'.padEnd(host)}  ${'SERVICE'.padEnd(service)}  STEP`];
  for (const s of t.steps) {
    const dur = s.endUs > s.startUs ? formatDuration(s.endUs - s.startUs) : '·';
    let step = s.detail ? `${s.label} — ${s.detail}` : s.label;
    if (s.derived) step += ' (derived)';
    if (step.length > max) step = `${step.slice(0, max - 1)}…`;
    const marks = [OUTCOME[s.outcome], s.warnings ? `${s.warnings} warning${s.warnings > 1 ? 's' : ''}` : '', s.id === t.failingStep ? '← failing step' : ''].filter(Boolean).join(', ');
    rows.push(`${formatClock(s.startUs)}  ${dur.padStart(10)}  ${s.host.padEnd(host)}  ${s.service.padEnd(service)}  ${step}  [${marks}]`);
  }
  return rows;
}

/** Records no step explains, per host × service. */
export function groupRows(t: Timeline, limit = 12): string[] {
  const rows = t.groups.slice(0, limit).map((g) => `${g.host} ${g.service}: ${g.count} record${g.count > 1 ? 's' : ''}${g.warnings ? `, ${g.warnings} warning${g.warnings > 1 ? 's' : ''}` : ''} (${formatClock(g.firstUs)}–${formatClock(g.lastUs)}), e.g. ${g.sample}`);
  if (t.groups.length > limit) rows.push(`… ${t.groups.length - limit} more groups`);
  return rows;
}

/** The CLI's `--timeline` output. */
export function timelineText(t: Timeline): string {
  const out = [headline(t), '', ...stepRows(t)];
  if (t.groups.length) out.push('', 'Other records (no step):', ...groupRows(t).map((r) => `  ${r}`));
  if (t.hops.length) out.push('', `Hops between services: ${t.hops.length} (${hopSummary(t)})`);
  return out.join('\n');
}

function hopSummary(t: Timeline): string {
  const pairs = new Map<string, number>();
  for (const h of t.hops) {
    const from = h.fromLane ? h.fromLane.split(' ')[1] : 'caller';
    const k = `${from} → ${h.toLane.split(' ')[1]}`;
    pairs.set(k, (pairs.get(k) ?? 0) + 1);
  }
  return [...pairs.entries()].slice(0, 6).map(([k, n]) => (n > 1 ? `${k} ×${n}` : k)).join(', ') + (pairs.size > 6 ? ', …' : '');
}

/**
 * The summary at the top of the log document: `# story: …` then the step rows behind `#  `. At most `maxSteps`
 * rows (the failing step always shown).
 */
export function summaryLines(t: Timeline, maxSteps = 40): string[] {
  if (t.records === 0) return [];
  const out = [`# story: ${headline(t)}`];
  if (t.steps.length === 0) return out;
  const rows = stepRows(t, { maxLabel: 90 });
  out.push(`#   ${rows[0]}`);
  const body = rows.slice(1);
  const failingIdx = t.steps.findIndex((s) => s.id === t.failingStep);
  const shown = body.length > maxSteps ? body.slice(0, maxSteps) : body;
  for (const r of shown) out.push(`#   ${r}`);
  if (body.length > maxSteps) {
    if (failingIdx >= maxSteps) out.push(`#   ${body[failingIdx]}`);
    out.push(`#   … ${body.length - maxSteps} more steps (OpenStack: Show Request Timeline)`);
  }
  if (t.groups.length) out.push(`# other records: ${t.groups.slice(0, 6).map((g) => `${g.host} ${g.service} ${g.count}`).join(' · ')}${t.groups.length > 6 ? ' · …' : ''}`);
  return out;
}
