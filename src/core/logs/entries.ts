import { redact } from '../log';
import { REQUEST_ID_PATTERN } from '../remote/validate';
import { continuesRecord, parseHead, type ParseContext, type ParsedHead } from './parse';
import type { LogEntry } from './types';

/** Marker the line splitter appends to a line it cut (see host-runner.ts `MAX_LINE_BYTES`). */
export const TRUNCATED_MARK = ' … [line truncated]';

const REQUEST_ID_ANYWHERE = new RegExp(REQUEST_ID_PATTERN);
const LAZY_MAX = 64;

/**
 * Builds entries from the lines of ONE file (or journald stream), in file order. A line is either selected (it
 * matched the search, or a whole file is read) or context (grep -A): context lines are only kept when they
 * continue a selected entry (a traceback under the matching ERROR line), anything else is dropped.
 */
export class EntryBuilder {
  private cur: LogEntry | undefined;
  private curHead: ParsedHead | undefined;
  private curLastLineNo: number | undefined;
  /** Selected lines that are continuations we could not attach (their record's head was not selected). */
  private orphans: { text: string; lineNo?: number; offset?: number }[] = [];
  private lastTs: number | undefined;
  /**
   * Context lines seen while no record is open, not parsed yet (newest last, at most LAZY_MAX): nothing can attach to
   * them, only their time may be needed later, by an orphan. Most of grep's 100 context lines land here, so parsing
   * them lazily keeps the cost of a search with context near that of one without (bench/logs-correlate.ts).
   */
  private lazy: string[] = [];

  constructor(
    private readonly host: string,
    private readonly service: string,
    private readonly file: string,
    private readonly ctx: ParseContext,
    private readonly emit: (e: LogEntry) => void,
  ) {}

  /**
   * `lineNo`: the line's number when known (a gap in numbers ends the record); `offset`: its byte offset in the file
   * (grep -b; gaps then come as `break()` from grep's `--` separators).
   */
  add(text: string, lineNo: number | undefined, selected: boolean, offset?: number): void {
    if (!selected && !this.cur && this.orphans.length === 0) {
      this.lazy.push(text);
      if (this.lazy.length >= LAZY_MAX) this.resolveLastTs();
      return;
    }
    const head = parseHead(text, this.ctx);
    const contiguous = lineNo === undefined || this.curLastLineNo === undefined || lineNo === this.curLastLineNo + 1;
    if (this.cur && contiguous && (!head || (this.curHead && continuesRecord(head, this.curHead)))) {
      this.append(text, lineNo);
      return;
    }
    if (head) {
      this.lastTs = head.ts;
      this.lazy.length = 0;
      this.flushOrphans(head.ts);
    }
    if (!selected) {
      // context that does not continue the current selected record: the record ended
      this.finish();
      return;
    }
    this.finish();
    if (!head) {
      // A matching continuation line whose head was not matched (e.g. a request id inside a response body).
      const ts = this.resolveLastTs();
      if (ts !== undefined) this.emitOrphan(text, lineNo, ts, offset);
      else this.orphans.push({ text, lineNo, offset });
      return;
    }
    this.curHead = head;
    this.cur = {
      ts: head.ts,
      host: this.host,
      service: this.service,
      file: this.file,
      lineNo,
      offset,
      format: head.format,
      level: head.level,
      requestId: head.requestId,
      globalRequestId: head.globalRequestId,
      instance: head.instance,
      lines: [],
    };
    this.curLastLineNo = lineNo;
    this.pushLine(this.cur, text);
  }

  /** The stream of this file was cut (grep `--` group separator, new tail header): the record ends. */
  break(): void {
    this.finish();
  }

  /** End of input. Orphans without any timestamp in their file take the time of the last record seen. */
  end(): void {
    this.finish();
    if (this.orphans.length) this.flushOrphans(this.resolveLastTs() ?? 0);
  }

  /** The time of the newest record head seen so far: parses the lazy lines, newest first, until one is a head. */
  private resolveLastTs(): number | undefined {
    for (let i = this.lazy.length - 1; i >= 0; i--) {
      const head = parseHead(this.lazy[i], this.ctx);
      if (head) {
        this.lastTs = head.ts;
        break;
      }
    }
    this.lazy.length = 0;
    return this.lastTs;
  }

  private append(text: string, lineNo: number | undefined): void {
    if (!this.cur) return;
    this.pushLine(this.cur, text);
    if (lineNo !== undefined) this.curLastLineNo = lineNo;
  }

  private pushLine(e: LogEntry, text: string): void {
    if (text.endsWith(TRUNCATED_MARK)) e.truncated = true;
    e.lines.push(redact(text));
  }

  private finish(): void {
    if (this.cur) this.emit(this.cur);
    this.cur = undefined;
    this.curHead = undefined;
    this.curLastLineNo = undefined;
  }

  private flushOrphans(ts: number): void {
    const o = this.orphans;
    this.orphans = [];
    for (const x of o) this.emitOrphan(x.text, x.lineNo, ts, x.offset);
  }

  private emitOrphan(text: string, lineNo: number | undefined, ts: number, offset?: number): void {
    const e: LogEntry = { ts, host: this.host, service: this.service, file: this.file, lineNo, offset, format: 'oslo', lines: [] };
    const m = REQUEST_ID_ANYWHERE.exec(text);
    if (m) e.requestId = m[0];
    this.pushLine(e, text);
    this.emit(e);
  }
}

/** Parses a whole text (one file's content) into entries: every line selected. */
export function parseText(text: string, host: string, service: string, file: string, ctx: ParseContext): LogEntry[] {
  const out: LogEntry[] = [];
  const b = new EntryBuilder(host, service, file, ctx, (e) => out.push(e));
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  lines.forEach((l, i) => b.add(l.endsWith('\r') ? l.slice(0, -1) : l, i + 1, true));
  b.end();
  return out;
}
