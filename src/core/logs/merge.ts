import type { LogEntry } from './types';

/**
 * Merging by time. Entries carry epoch microseconds. Equal timestamps are common (two hosts logging the same
 * millisecond, syslog's whole seconds), so the merged order is ONE total order, whatever order hosts answered in
 * and whichever runner (ssh2 pool, OpenSSH, local) ran the search: `compareEntries` — time, then host, then file,
 * then position in the file (byte offset, else line number). Entries equal on all of those (the same position, or
 * follow mode's lines that carry no position) keep their source order. Each source (one file of one host) is already
 * in file order, so a k-way merge over sources is O(N log k) and streams.
 */

/** Position of an entry in its file, when known: grep's byte offset, else the line number. */
function position(e: LogEntry): number | undefined {
  return e.offset ?? e.lineNo;
}

/** The one order of merged log entries: time, host, file, position in the file. 0 only when all of those are equal. */
export function compareEntries(a: LogEntry, b: LogEntry): number {
  if (a.ts !== b.ts) return a.ts < b.ts ? -1 : 1;
  if (a.host !== b.host) return a.host < b.host ? -1 : 1;
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  const pa = position(a);
  const pb = position(b);
  if (pa !== undefined && pb !== undefined && pa !== pb) return pa < pb ? -1 : 1;
  return 0;
}

/** A k-way merge of sources that are each in `compareEntries` order. On entries that compare equal, the earlier source wins. */
export function* kWayMerge(sources: Iterable<LogEntry>[]): Generator<LogEntry> {
  const its = sources.map((s) => s[Symbol.iterator]());
  // binary heap of [entry, sourceIndex]
  const heap: [LogEntry, number][] = [];
  const less = (a: [LogEntry, number], b: [LogEntry, number]) => {
    const c = compareEntries(a[0], b[0]);
    return c < 0 || (c === 0 && a[1] < b[1]);
  };
  const up = (i: number) => {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(heap[i], heap[p])) break;
      [heap[i], heap[p]] = [heap[p], heap[i]];
      i = p;
    }
  };
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && less(heap[l], heap[m])) m = l;
      if (r < heap.length && less(heap[r], heap[m])) m = r;
      if (m === i) break;
      [heap[i], heap[m]] = [heap[m], heap[i]];
      i = m;
    }
  };
  its.forEach((it, i) => {
    const n = it.next();
    if (!n.done) {
      heap.push([n.value, i]);
      up(heap.length - 1);
    }
  });
  while (heap.length) {
    const top = heap[0];
    yield top[0];
    const n = its[top[1]].next();
    if (!n.done) {
      heap[0] = [n.value, top[1]];
    } else {
      const last = heap.pop()!;
      if (heap.length) heap[0] = last;
    }
    if (heap.length) down(0);
  }
}

/**
 * Sorts entries into `compareEntries` order, stably (rotated files and journald can arrive slightly out of order;
 * a batch of several files comes in whatever order its files were read).
 */
export function sortStable(entries: LogEntry[]): LogEntry[] {
  return entries
    .map((e, i) => [e, i] as const)
    .sort((a, b) => compareEntries(a[0], b[0]) || a[1] - b[1])
    .map(([e]) => e);
}

/**
 * The merged view's memory: entries kept in time order as they arrive from any host, bounded. When full, the
 * oldest entries are dropped (follow mode: a ring over time) and `dropped` counts them.
 */
export class MergedLog {
  private entries: LogEntry[] = [];
  dropped = 0;

  constructor(readonly capacity = 50_000) {}

  get size(): number {
    return this.entries.length;
  }

  /**
   * Inserts in `compareEntries` order (so the view's order does not depend on which host answered first); entries
   * that compare equal keep arrival order. Returns the index where the entry landed (-1: dropped).
   */
  add(entry: LogEntry): number {
    let i = this.entries.length;
    if (i > 0 && compareEntries(this.entries[i - 1], entry) > 0) {
      // binary search for the first entry that sorts after this one
      let lo = 0;
      let hi = this.entries.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (compareEntries(this.entries[mid], entry) <= 0) lo = mid + 1;
        else hi = mid;
      }
      i = lo;
    }
    this.entries.splice(i, 0, entry);
    if (this.entries.length > this.capacity) {
      const n = this.entries.length - this.capacity;
      this.entries.splice(0, n);
      this.dropped += n;
      i -= n;
    }
    return i < 0 ? -1 : i;
  }

  all(): readonly LogEntry[] {
    return this.entries;
  }

  clear(): void {
    this.entries = [];
  }
}

/** Column widths for the `host service | ` prefix. */
export interface PrefixWidths {
  host: number;
  service: number;
}

export function prefixWidths(entries: readonly LogEntry[], min: PrefixWidths = { host: 0, service: 0 }): PrefixWidths {
  let host = min.host;
  let service = min.service;
  for (const e of entries) {
    if (e.host.length > host) host = e.host.length;
    if (e.service.length > service) service = e.service.length;
  }
  return { host, service };
}

/**
 * The text lines of one entry in the correlated document: `compute1 nova-compute | <first line>`, then its
 * continuation lines as `compute1 nova-compute + <line>` (the grammar folds and colours them as one record).
 */
export function renderEntry(e: LogEntry, w: PrefixWidths = { host: 0, service: 0 }): string[] {
  const prefix = `${e.host.padEnd(w.host)} ${e.service.padEnd(w.service)}`;
  return e.lines.map((l, i) => `${prefix} ${i === 0 ? '|' : '+'} ${l}`);
}

export function renderDocument(entries: readonly LogEntry[]): string {
  const w = prefixWidths(entries);
  const out: string[] = [];
  for (const e of entries) out.push(...renderEntry(e, w));
  return out.length ? `${out.join('\n')}\n` : '';
}
