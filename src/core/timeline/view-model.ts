import type { LogEntry } from '../logs/types';
import { STEP_KIND_NAMES } from './patterns';
import { formatDuration, headline } from './render';
import type { StepKind, StepOutcome, Timeline } from './types';

/**
 * What the timeline webview draws, as plain JSON: lanes (host × service), steps and marks placed on lanes, the
 * record text each shows on hover, and the record index a click reveals in the log document. Built here (no
 * vscode) so the extension only posts it.
 */

export interface ViewLane {
  id: string;
  host: string;
  service: string;
  /** Records in this lane. */
  count: number;
}

export interface ViewStep {
  id: string;
  lane: number;
  kind: StepKind;
  kindName: string;
  label: string;
  detail?: string;
  startUs: number;
  endUs: number;
  duration: string;
  outcome: StepOutcome;
  failing: boolean;
  derived: boolean;
  /** The record a click reveals: the first error of the step, else its first record (none for derived gaps). */
  record?: number;
  /** Its first line, for the hover. */
  tip?: string;
  records: number;
  progress?: { ts: number; remainingPercent: number }[];
}

export interface ViewMark {
  lane: number;
  ts: number;
  level: 'WARNING' | 'ERROR';
  record: number;
  tip: string;
}

/** Records no step explains, per lane: drawn as a faint band from the first to the last. */
export interface ViewBand {
  lane: number;
  firstUs: number;
  lastUs: number;
  count: number;
  sample: string;
}

export interface ViewHop {
  fromLane?: number;
  toLane: number;
  ts: number;
}

export interface TimelineViewModel {
  title: string;
  headline: string;
  startUs: number;
  endUs: number;
  outcome: StepOutcome;
  lanes: ViewLane[];
  steps: ViewStep[];
  marks: ViewMark[];
  bands: ViewBand[];
  hops: ViewHop[];
  /** The document keeps appending lines. */
  following: boolean;
  /** Marks kept at most (the rest are counted here). */
  marksDropped: number;
}

const TIP_MAX = 400;
const MAX_MARKS = 2000;

function tipOf(e: LogEntry | undefined): string | undefined {
  if (!e) return undefined;
  const first = e.lines[0] ?? '';
  const tip = e.lines.length > 1 ? `${first}\n${e.lines[e.lines.length - 1]}` : first;
  return tip.length > TIP_MAX ? `${tip.slice(0, TIP_MAX - 1)}…` : tip;
}

export function timelineViewModel(t: Timeline, entries: readonly LogEntry[], opts: { title: string; following?: boolean }): TimelineViewModel {
  const lanes: ViewLane[] = [];
  const laneIndex = new Map<string, number>();
  const lane = (host: string, service: string, count = 0) => {
    const id = `${host} ${service}`;
    let i = laneIndex.get(id);
    if (i === undefined) {
      i = lanes.length;
      laneIndex.set(id, i);
      lanes.push({ id, host, service, count });
    }
    return i;
  };
  for (const l of t.lanes) lane(l.host, l.service, l.count);
  const steps: ViewStep[] = t.steps.map((s) => {
    const errorRecord = s.records.find((r) => entries[r]?.level === 'ERROR' || entries[r]?.level === 'CRITICAL');
    const record = errorRecord ?? s.records[0];
    return {
      id: s.id,
      lane: lane(s.host, s.service),
      kind: s.kind,
      kindName: STEP_KIND_NAMES[s.kind],
      label: s.label,
      detail: s.detail,
      startUs: s.startUs,
      endUs: s.endUs,
      duration: s.endUs > s.startUs ? formatDuration(s.endUs - s.startUs) : '',
      outcome: s.outcome,
      failing: s.id === t.failingStep,
      derived: !!s.derived,
      record,
      tip: tipOf(record !== undefined ? entries[record] : undefined),
      records: s.records.length,
      progress: s.progress,
    };
  });
  // errors first, so a cut keeps them
  const sorted = [...t.marks].sort((a, b) => (a.level === b.level ? a.ts - b.ts : a.level === 'ERROR' ? -1 : 1));
  const marks: ViewMark[] = sorted.slice(0, MAX_MARKS).map((m) => ({ lane: laneIndex.get(m.lane) ?? lane(entries[m.record].host, entries[m.record].service), ts: m.ts, level: m.level, record: m.record, tip: tipOf(entries[m.record]) ?? '' }));
  const bands: ViewBand[] = t.groups.map((g) => ({ lane: lane(g.host, g.service), firstUs: g.firstUs, lastUs: g.lastUs, count: g.count, sample: g.sample }));
  const hops: ViewHop[] = t.hops.map((h) => ({ fromLane: h.fromLane !== undefined ? laneIndex.get(h.fromLane) : undefined, toLane: laneIndex.get(h.toLane) ?? 0, ts: h.ts }));
  return {
    title: opts.title,
    headline: headline(t),
    startUs: t.startUs,
    endUs: t.endUs,
    outcome: t.outcome,
    lanes,
    steps,
    marks,
    bands,
    hops,
    following: !!opts.following,
    marksDropped: Math.max(0, sorted.length - MAX_MARKS),
  };
}
