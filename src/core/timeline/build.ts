import type { LogEntry } from '../logs/types';
import { messageOf } from './message';
import { STEP_PATTERNS, STEP_KIND_NAMES, type StepPattern } from './patterns';
import type { Hop, Lane, Mark, RecordGroup, StepKind, StepOutcome, Timeline, TimelineStep } from './types';

/**
 * Steps from records. One pass over the correlated entries (time order, as `correlate` and `MergedLog` give them):
 * each record either matches a pattern of patterns.ts and joins (or opens, or closes) a step of its kind on its
 * host, or is counted in its host × service group. ERROR records no pattern explains mark the step they fall in
 * (same host, within its span) as failed, else become an error step of their own. Then derived steps (live
 * migration pre-checks: from the accepted request to the destination's preparation) and the failing step.
 *
 * Steps of one kind on one host merge while their records are less than `maxGapUs` apart (a build's several vif
 * plugs are one "Network" step; a second migration a minute later is a new one).
 */

export interface BuildOptions {
  /**
   * Records of one kind on one host further apart than this start a new step. Default 30 s (nova logs a migration's
   * progress every 30–60 s at INFO: that pattern allows 90 s).
   */
  maxGapUs?: number;
}

interface Work extends TimelineStep {
  closed: boolean;
  /** Distinct events of a network step (vif plugged/unplugged, neutron's network-vif-*). */
  events?: Set<string>;
  lastUs: number;
  labelled: boolean;
}

const ERROR_LEVELS = new Set(['ERROR', 'CRITICAL']);
const SAMPLE_MAX = 160;
const FAIL_JOIN_US = 5_000_000;

/** Patterns per logger name, found by prefix once per distinct logger. */
class PatternIndex {
  private cache = new Map<string, StepPattern[]>();
  constructor(private readonly patterns: readonly StepPattern[]) {}
  for(logger: string): StepPattern[] {
    let list = this.cache.get(logger);
    if (!list) {
      list = this.patterns.filter((p) => logger === p.logger || logger.startsWith(`${p.logger}.`) || (p.logger.endsWith('.') && logger.startsWith(p.logger)));
      this.cache.set(logger, list);
    }
    return list;
  }
}

const INDEX = new PatternIndex(STEP_PATTERNS);

function fill(label: string, groups: Record<string, string | undefined> | undefined): string {
  return label.replace(/\{(\w+)\}/g, (_, k: string) => {
    const v = groups?.[k];
    if (v === undefined) return '';
    return k === 'path' ? shortPath(v) : k === 'host' ? shortHost(v) : v;
  });
}

/** `/v2.1/servers/d5eaf75f-c9ad-…/action` → `/servers/d5eaf75f…/action`. */
export function shortPath(path: string): string {
  return path
    .replace(/^\/v[\d.]+(?:\/[0-9a-f]{32})?/, '')
    .replace(/([0-9a-f]{8})-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '$1…')
    .replace(/\?.*$/, '');
}

/** A host a record names (`compute2`, `hp-ms-01-c29.moonshot1.lab…`) as lanes name hosts: its first label. */
export function shortHost(host: string): string {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) return host;
  return host.split('.')[0];
}

function shorten(text: string, max = SAMPLE_MAX): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function buildTimeline(entries: readonly LogEntry[], opts: BuildOptions = {}): Timeline {
  const gap = opts.maxGapUs ?? 30_000_000;
  const steps: Work[] = [];
  const open = new Map<string, Work>();
  const lanes = new Map<string, Lane>();
  const hostOrder = new Map<string, number>();
  const groups = new Map<string, RecordGroup>();
  const marks: Mark[] = [];
  const hops: Hop[] = [];
  const hopSeen = new Set<string>();
  const lastLaneOf = new Map<string, string>();
  const pendingErrors: number[] = [];
  /** Failed steps by kind and host: a second failure record right after the first joins it ("failure", "aborted"). */
  const failed = new Map<string, Work>();
  let startUs = Infinity;
  let endUs = -Infinity;

  const newStep = (kind: StepKind, label: string, e: LogEntry, host: string, start: number, i: number, outcome: StepOutcome): Work => {
    const s: Work = {
      id: '', kind, label, startUs: start, endUs: e.ts, host, service: e.service, outcome, records: [i],
      warnings: 0, errors: 0, closed: false, lastUs: e.ts, labelled: false,
    };
    steps.push(s);
    return s;
  };
  const join = (s: Work, e: LogEntry, i: number) => {
    s.records.push(i);
    if (e.ts > s.endUs) s.endUs = e.ts;
    if (e.ts < s.startUs) s.startUs = e.ts;
    s.lastUs = e.ts;
  };
  const close = (key: string, s: Work) => {
    s.closed = true;
    if (open.get(key) === s) open.delete(key);
  };

  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    if (e.ts < startUs) startUs = e.ts;
    if (e.ts > endUs) endUs = e.ts;
    const laneId = `${e.host} ${e.service}`;
    let lane = lanes.get(laneId);
    if (!lane) {
      lane = { id: laneId, host: e.host, service: e.service, count: 0 };
      lanes.set(laneId, lane);
      if (!hostOrder.has(e.host)) hostOrder.set(e.host, hostOrder.size);
    }
    lane.count++;
    const isError = e.level !== undefined && ERROR_LEVELS.has(e.level);
    if (isError) marks.push({ ts: e.ts, lane: laneId, level: 'ERROR', record: i });
    else if (e.level === 'WARNING') marks.push({ ts: e.ts, lane: laneId, level: 'WARNING', record: i });

    // hops: a request id in a new lane; a service's own id under the caller's global id
    const r = e.requestId;
    if (r) {
      const g = e.globalRequestId;
      if (g && g !== r) {
        const k = `g\0${g}\0${r}\0${laneId}`;
        if (!hopSeen.has(k)) {
          hopSeen.add(k);
          hops.push({ ts: e.ts, fromLane: lastLaneOf.get(g), toLane: laneId, fromId: g, toId: r, kind: 'global-local', record: i });
        }
      }
      const prev = lastLaneOf.get(r);
      if (prev !== undefined && prev !== laneId) {
        const k = `s\0${r}\0${prev}\0${laneId}`;
        if (!hopSeen.has(k)) {
          hopSeen.add(k);
          hops.push({ ts: e.ts, fromLane: prev, toLane: laneId, fromId: r, toId: r, kind: 'same-id', record: i });
        }
      }
      lastLaneOf.set(r, laneId);
    }

    const msg = messageOf(e);
    let pattern: StepPattern | undefined;
    let groupsOf: Record<string, string> | undefined;
    for (const p of INDEX.for(msg.logger)) {
      if (!msg.text.includes(p.needle)) continue;
      if (p.re) {
        const m = p.re.exec(msg.text);
        if (!m) continue;
        groupsOf = m.groups;
      }
      pattern = p;
      break;
    }
    if (!pattern) {
      if (isError) {
        pendingErrors.push(i);
        continue;
      }
      let g = groups.get(laneId);
      if (!g) {
        g = { host: e.host, service: e.service, count: 0, firstUs: e.ts, lastUs: e.ts, warnings: 0, errors: 0, sample: shorten(msg.text), records: [] };
        groups.set(laneId, g);
      }
      g.count++;
      g.lastUs = e.ts;
      if (e.level === 'WARNING') g.warnings++;
      g.records.push(i);
      continue;
    }

    const p = pattern;
    const host = p.onNamedHost && groupsOf?.host ? shortHost(groupsOf.host) : e.host;
    const key = `${p.kind}\0${host}`;
    const label = fill(p.label, groupsOf);
    const seconds = groupsOf?.seconds !== undefined ? Number(groupsOf.seconds) : undefined;
    const durUs = seconds !== undefined && Number.isFinite(seconds) ? Math.round(seconds * 1e6) : 0;
    let cur = open.get(key);
    if (cur && e.ts - cur.lastUs > (p.gapS !== undefined ? p.gapS * 1e6 : gap)) {
      close(key, cur);
      cur = undefined;
    }
    let s: Work;
    switch (p.role) {
      case 'span':
        if (!p.single && cur) {
          join(cur, e, i);
          s = cur;
          if (e.ts - durUs < s.startUs) s.startUs = e.ts - durUs;
        } else {
          s = newStep(p.kind, label, e, host, e.ts - durUs, i, 'unknown');
        }
        if (s.outcome !== 'failed') s.outcome = 'ok';
        if (p.kind === 'api' && Number(groupsOf?.status) >= 400) s.outcome = 'failed';
        // a stated duration ends nothing by itself: "Took 1.87 seconds to destroy" comes before "Deleted allocations"
        if (p.single) close(key, s);
        else open.set(key, s);
        break;
      case 'start':
        if (cur) join((s = cur), e, i);
        else open.set(key, (s = newStep(p.kind, label, e, host, e.ts, i, 'unknown')));
        break;
      case 'point':
        if (p.single) {
          s = newStep(p.kind, label, e, host, e.ts, i, 'ok');
          s.closed = true;
        } else if (cur) join((s = cur), e, i);
        else open.set(key, (s = newStep(p.kind, label, e, host, e.ts, i, 'ok')));
        break;
      case 'progress': {
        if (cur) join((s = cur), e, i);
        else {
          open.set(key, (s = newStep(p.kind, label, e, host, e.ts - durUs, i, 'unknown')));
          if (durUs > 0) s.derived = true;
        }
        const pct = Number(groupsOf?.percent);
        if (Number.isFinite(pct)) {
          (s.progress ??= []).push({ ts: e.ts, remainingPercent: pct });
          s.detail = `memory ${pct}% remaining after ${seconds ?? 0} s`;
        }
        break;
      }
      case 'end':
        if (cur) join((s = cur), e, i);
        else s = newStep(p.kind, label, e, host, e.ts, i, 'ok');
        if (s.outcome !== 'failed') s.outcome = 'ok';
        close(key, s);
        break;
      case 'fail': {
        const recent = failed.get(key);
        if (!cur && recent && e.ts - recent.lastUs <= FAIL_JOIN_US) cur = recent;
        if (cur) join((s = cur), e, i);
        else s = newStep(p.kind, label, e, host, e.ts, i, 'failed');
        s.outcome = 'failed';
        s.detail ??= shorten(msg.text);
        close(key, s);
        failed.set(key, s);
        break;
      }
    }
    if ((p.role === 'end' || p.role === 'fail') && !p.onNamedHost && s.records.length > 1) s.service = e.service;
    if (p.kind === 'network') (s.events ??= new Set()).add(label.replace(/^Neutron: network-/, 'neutron '));
    if (!s.labelled && p.label.includes('{')) {
      s.label = label;
      s.labelled = true;
    }
    if (isError) {
      s.errors++;
      s.outcome = 'failed';
      s.detail ??= shorten(msg.text);
    } else if (e.level === 'WARNING') s.warnings++;
  }

  // ERROR records no pattern explains: the step they fall in on their host, else a step of their own.
  for (const i of pendingErrors) {
    const e = entries[i];
    let best: Work | undefined;
    for (const s of steps) {
      if (s.host !== e.host || s.kind === 'error') continue;
      if (e.ts >= s.startUs - 1_000_000 && e.ts <= s.endUs + 1_000_000 && (!best || s.startUs >= best.startUs)) best = s;
    }
    const text = shorten(messageOf(e).text || e.lines[1] || '');
    if (best) {
      best.records.push(i);
      best.records.sort((a, b) => a - b);
      best.errors++;
      best.outcome = 'failed';
      best.detail ??= text;
    } else {
      const s = newStep('error', `Error in ${e.service}`, e, e.host, e.ts, i, 'failed');
      s.errors = 1;
      s.detail = text;
      s.closed = true;
    }
  }

  // Derived: live-migration pre-checks, from the accepted request to the destination's preparation.
  for (const pre of steps.filter((s) => s.kind === 'lm-pre')) {
    let req: Work | undefined;
    for (const s of steps) {
      if ((s.kind === 'api' || s.kind === 'lm-request') && s.endUs <= pre.startUs && (!req || s.endUs > req.endUs)) req = s;
    }
    if (req && pre.startUs - req.endUs < 600_000_000) {
      steps.push({
        id: '', kind: 'lm-precheck', label: STEP_KIND_NAMES['lm-precheck'], startUs: req.endUs, endUs: pre.startUs, host: req.host, service: req.service,
        outcome: 'ok', derived: true, records: [], warnings: 0, errors: 0, closed: true, lastUs: pre.startUs, labelled: true,
      });
    }
  }

  steps.sort((a, b) => a.startUs - b.startUs || a.endUs - b.endUs);
  const counts = new Map<StepKind, number>();
  const out: TimelineStep[] = steps.map((s) => {
    const n = counts.get(s.kind) ?? 0;
    counts.set(s.kind, n + 1);
    const { closed: _c, lastUs: _l, labelled: _b, events, ...step } = s;
    if (events && events.size > 1) {
      step.label = 'Network';
      step.detail ??= [...events].join(', ');
    }
    step.id = `${s.kind}#${n}`;
    if (step.endUs < step.startUs) step.endUs = step.startUs;
    return step;
  });
  const failing = out.find((s) => s.outcome === 'failed');
  const laneList = [...lanes.values()].sort((a, b) => hostOrder.get(a.host)! - hostOrder.get(b.host)!);
  return {
    steps: out,
    lanes: laneList,
    groups: [...groups.values()].sort((a, b) => b.count - a.count),
    hops,
    marks,
    startUs: Number.isFinite(startUs) ? Math.min(startUs, ...out.map((s) => s.startUs)) : 0,
    endUs: Number.isFinite(endUs) ? endUs : 0,
    outcome: failing ? 'failed' : out.some((s) => s.outcome === 'ok') ? 'ok' : 'unknown',
    failingStep: failing?.id,
    records: entries.length,
  };
}
