import { REQUEST_ID_RE } from '../remote/validate';
import { MONTHS, localToUtcMs, parseOffset, resolveYear } from './clock';
import { REQUEST_ID_IN_TEXT } from './keys';
import type { HostClock, LogFormat, LogLevel } from './types';

/**
 * Line parsers for every log format an OpenStack host writes. `parseHead` returns the parsed head of a line that
 * starts a log record, or undefined for a continuation line (traceback, multi-line message body).
 *
 * Formats, with the real lines they were written against (test/unit/logs/parse.test.ts):
 * - oslo.log, every era of the context bracket: `[req-X None]`, `[req-X ]`, `[req-X u p - - -]`,
 *   `[None req-X - - - - - -]`, `[req-G req-L u p - - d d]`, `[-]`; `[instance: <uuid>] `; DEBUG suffix
 *   ` funcName /path/file.py:NN`; exception lines `<ts> <pid> ERROR|TRACE <logger> <text>` (no bracket).
 * - Apache/httpd error log (mod_wsgi: Horizon, keystone, nova-api under Apache): `[Wed Nov 25 19:33:14.123456 2026]
 *   [wsgi:error] [pid 123:tid 456] [remote 1.2.3.4:5678] msg`, and 2.2's `[Wed Nov 25 19:33:14 2026] [error] …`.
 * - libvirtd: `2026-11-25 19:50:01.123+0000: 1234: info : msg`; libvirt's lines in qemu domain logs
 *   `2026-11-25 19:50:01.123+0000: starting up …`.
 * - qemu: `2017-09-18T18:08:49.216429Z qemu-system-x86_64: msg`.
 * - journald `-o short-iso-precise`: `2026-11-25T19:33:14.123456+0000 host nova-compute[123]: DEBUG … [None req-…]`.
 * - syslog: `Nov 25 19:33:14 host prog[pid]: msg`, with microseconds too (`Oct 11 07:49:20.347281 …`).
 * - Apache with Debian's WSGI vhost `ErrorLogFormat "%{cu}t %M"`: `2026-11-25 20:13:45.241178 mod_wsgi (pid=…): …`.
 */

export interface ParsedHead {
  /** Epoch microseconds (UTC). */
  ts: number;
  format: LogFormat;
  level?: LogLevel;
  pid?: string;
  /** Python logger name (oslo), syslog identifier, Apache module. */
  logger?: string;
  requestId?: string;
  globalRequestId?: string;
  instance?: string;
  /** oslo: the line has a context bracket (`[-]`, `[req-…]`). Exception/traceback lines have none. */
  hasContext: boolean;
  /** journald/syslog: the host name the line names. */
  syslogHost?: string;
}

export interface ParseContext {
  clock: HostClock;
  /** Reference instant for year-less syslog timestamps (ms). Default: now. */
  refMs?: number;
}

const LEVELS: Record<string, LogLevel> = {
  TRACE: 'TRACE', DEBUG: 'DEBUG', INFO: 'INFO', AUDIT: 'AUDIT', NOTICE: 'NOTICE', WARNING: 'WARNING', WARN: 'WARNING',
  ERROR: 'ERROR', CRITICAL: 'CRITICAL', FATAL: 'CRITICAL',
  // libvirt / apache / syslog spellings
  debug: 'DEBUG', info: 'INFO', notice: 'NOTICE', warning: 'WARNING', warn: 'WARNING', error: 'ERROR', err: 'ERROR',
  crit: 'CRITICAL', alert: 'CRITICAL', emerg: 'CRITICAL', trace1: 'TRACE', trace2: 'TRACE',
  trace3: 'TRACE', trace4: 'TRACE', trace5: 'TRACE', trace6: 'TRACE', trace7: 'TRACE', trace8: 'TRACE',
};

const OSLO = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:[.,](\d{1,6}))? (\d+) (TRACE|DEBUG|INFO|AUDIT|WARNING|WARN|ERROR|CRITICAL) (\S+) ?(.*)$/;
const LIBVIRT = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{1,6})([+-]\d\d:?\d\d|Z): (?:(\d+): (\w+) ?: )?(.*)$/;
const PLAIN = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)[.,](\d{1,6}) (.*)$/;
const ISO = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:[.,](\d{1,9}))?(Z|[+-]\d\d:?\d\d) (.*)$/;
const JOURNAL_REST = /^(\S+) ([^\s[:]+)(?:\[(\d+)\])?: ?(.*)$/;
const APACHE = /^\[(?:[A-Z][a-z]{2} )?([A-Z][a-z]{2}) +(\d{1,2}) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))? (\d{4})\] \[(?:([\w-]+):)?(\w+)\] (?:\[pid (\d+)(?::tid \d+)?\] )?(?:\[(?:remote|client) [^\]]*\] )?(.*)$/;
const SYSLOG = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))? (\S+) ([^\s[:]+)(?:\[(\d+)\])?:? ?(.*)$/;
const INSTANCE_TAG = /\[instance: ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\]/;
const REQ = REQUEST_ID_RE;
/** The message part of a journald/syslog line written by an oslo service (DevStack: no timestamp). */
const OSLO_BODY = /^(?:\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[.,]\d+ )?(?:(\d+) )?(TRACE|DEBUG|INFO|AUDIT|WARNING|WARN|ERROR|CRITICAL) (\S+) ?(.*)$/;

function frac(digits: string | undefined): number {
  if (!digits) return 0;
  return Number(digits.slice(0, 6).padEnd(6, '0')); // microseconds
}

/** The oslo context bracket and instance tag at the start of `rest`. */
export function parseContext(rest: string): Pick<ParsedHead, 'requestId' | 'globalRequestId' | 'instance' | 'hasContext'> {
  const out: Pick<ParsedHead, 'requestId' | 'globalRequestId' | 'instance' | 'hasContext'> = { hasContext: false };
  let tail = rest;
  if (rest.startsWith('[') && !rest.startsWith('[instance: ')) {
    const end = rest.indexOf(']');
    if (end > 0) {
      out.hasContext = true;
      const tokens = rest.slice(1, end).split(' ');
      const t0 = tokens[0] ?? '';
      const t1 = tokens[1] ?? '';
      if (REQ.test(t0) && REQ.test(t1)) {
        out.globalRequestId = t0;
        out.requestId = t1;
      } else if (REQ.test(t0)) {
        out.requestId = t0;
      } else if ((t0 === 'None' || t0 === '-') && REQ.test(t1)) {
        out.requestId = t1;
      }
      tail = rest.slice(end + 1).trimStart();
    }
  }
  const inst = tail.startsWith('[instance: ') ? INSTANCE_TAG.exec(tail) : null;
  if (inst) out.instance = inst[1];
  return out;
}

function scanIds(text: string, out: Pick<ParsedHead, 'requestId' | 'instance'>): void {
  if (!out.requestId) {
    REQUEST_ID_IN_TEXT.lastIndex = 0;
    const m = REQUEST_ID_IN_TEXT.exec(text);
    if (m) out.requestId = m[0];
  }
  if (!out.instance) {
    const i = INSTANCE_TAG.exec(text);
    if (i) out.instance = i[1];
  }
}

/** Parses an oslo message body (journald/syslog/Apache lines written by an OpenStack service). */
function parseOsloBody(msg: string, head: ParsedHead): void {
  const m = OSLO_BODY.exec(msg);
  if (m) {
    head.level = LEVELS[m[2]] ?? head.level;
    head.logger ??= m[3];
    Object.assign(head, parseContext(m[4]));
  }
  scanIds(msg, head);
}

/** Parses the head of a log record, or returns undefined for a continuation line. */
export function parseHead(line: string, ctx: ParseContext): ParsedHead | undefined {
  const c0 = line.charCodeAt(0);
  if (c0 >= 48 && c0 <= 57) {
    // digit: oslo, libvirt, ISO (qemu / journald)
    if (line.charCodeAt(10) === 32 /* ' ' */) {
      let m = OSLO.exec(line);
      if (m) {
        const us = frac(m[7]);
        const ms = localToUtcMs(ctx.clock, +m[1], +m[2], +m[3], +m[4], +m[5], +m[6], 0);
        const head: ParsedHead = {
          ts: ms * 1000 + us,
          format: 'oslo',
          pid: m[8],
          level: LEVELS[m[9]],
          logger: m[10],
          ...parseContext(m[11]),
        };
        if (!head.instance) {
          const inst = INSTANCE_TAG.exec(m[11]);
          if (inst) head.instance = inst[1];
        }
        return head;
      }
      m = LIBVIRT.exec(line);
      if (m) {
        const off = parseOffset(m[8]) ?? 0;
        const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) - off * 60_000;
        const head: ParsedHead = {
          ts: ms * 1000 + frac(m[7]),
          format: 'libvirt',
          pid: m[9],
          level: m[10] ? LEVELS[m[10]] : undefined,
          logger: m[9] ? 'libvirtd' : undefined,
          hasContext: false,
        };
        scanIds(m[11], head);
        return head;
      }
      m = PLAIN.exec(line);
      if (m) {
        // Apache `ErrorLogFormat "%{cu}t %M"` (local time, µs): mod_wsgi's stderr of keystone/nova-api/Horizon.
        const ms = localToUtcMs(ctx.clock, +m[1], +m[2], +m[3], +m[4], +m[5], +m[6], 0);
        const head: ParsedHead = { ts: ms * 1000 + frac(m[7]), format: 'plain', hasContext: true };
        parseOsloBody(m[8], head);
        head.hasContext = true;
        return head;
      }
      return undefined;
    }
    if (line.charCodeAt(10) === 84 /* 'T' */) {
      const m = ISO.exec(line);
      if (!m) return undefined;
      const off = parseOffset(m[8]) ?? 0;
      const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) - off * 60_000;
      const ts = ms * 1000 + frac(m[7]);
      const j = m[8] !== 'Z' ? JOURNAL_REST.exec(m[9]) : null;
      if (j) {
        const head: ParsedHead = { ts, format: 'journal', syslogHost: j[1], logger: j[2], pid: j[3], hasContext: false };
        parseOsloBody(j[4], head);
        head.hasContext = true; // a journald record is always its own entry
        return head;
      }
      const head: ParsedHead = { ts, format: 'iso', hasContext: false };
      const prog = /^([\w.-]+): /.exec(m[9]);
      if (prog) head.logger = prog[1];
      scanIds(m[9], head);
      return head;
    }
    return undefined;
  }
  if (c0 === 91 /* '[' */) {
    const m = APACHE.exec(line);
    if (!m) return undefined;
    const month = MONTHS[m[1]];
    if (!month) return undefined;
    const ms = localToUtcMs(ctx.clock, +m[7], month, +m[2], +m[3], +m[4], +m[5], 0);
    const head: ParsedHead = {
      ts: ms * 1000 + frac(m[6]),
      format: 'apache',
      logger: m[8] ?? 'core',
      level: LEVELS[m[9]] ?? 'ERROR',
      pid: m[10],
      hasContext: false,
    };
    parseOsloBody(m[11], head);
    head.hasContext = true;
    return head;
  }
  if (c0 >= 65 && c0 <= 90) {
    const m = SYSLOG.exec(line);
    if (!m) return undefined;
    const month = MONTHS[m[1]];
    if (!month) return undefined;
    const year = resolveYear(month, +m[2], ctx.refMs ?? Date.now());
    const ms = localToUtcMs(ctx.clock, year, month, +m[2], +m[3], +m[4], +m[5], 0);
    const head: ParsedHead = {
      ts: ms * 1000 + frac(m[6]),
      format: 'syslog',
      syslogHost: m[7],
      logger: m[8],
      pid: m[9],
      hasContext: false,
    };
    parseOsloBody(m[10], head);
    head.hasContext = true;
    return head;
  }
  return undefined;
}

/**
 * True when `head` (a line with its own timestamp) continues the record `prev`: oslo.log writes each traceback
 * line with the exception prefix `<ts> <pid> ERROR|TRACE <logger> [instance: …] ` and no context bracket.
 */
export function continuesRecord(head: ParsedHead, prev: ParsedHead): boolean {
  return (
    head.format === 'oslo' &&
    prev.format === 'oslo' &&
    !head.hasContext &&
    (head.level === 'ERROR' || head.level === 'TRACE' || head.level === 'CRITICAL') &&
    head.pid === prev.pid &&
    head.logger === prev.logger
  );
}

/** Strips the DEBUG suffix oslo.log appends (` funcName /path/file.py:NN`); returns undefined when absent. */
export function debugSuffix(line: string): { func: string; path: string; lineNo: number } | undefined {
  const m = / (\w+) (\/\S+\.py):(\d+)$/.exec(line);
  return m ? { func: m[1], path: m[2], lineNo: Number(m[3]) } : undefined;
}

/**
 * One journald record from `journalctl -o json` (one JSON object a line). MESSAGE may be an array of bytes when
 * it is not valid UTF-8. Returns the record as a display line plus its parsed head.
 */
export function parseJournalJson(jsonLine: string): { head: ParsedHead; line: string; unit?: string } | undefined {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const rt = o.__REALTIME_TIMESTAMP;
  if (typeof rt !== 'string' || !/^\d+$/.test(rt)) return undefined;
  let message = '';
  if (typeof o.MESSAGE === 'string') message = o.MESSAGE;
  else if (Array.isArray(o.MESSAGE)) message = new TextDecoder('utf-8').decode(Uint8Array.from(o.MESSAGE as number[]));
  const ident = typeof o.SYSLOG_IDENTIFIER === 'string' ? o.SYSLOG_IDENTIFIER : typeof o._COMM === 'string' ? o._COMM : 'journal';
  const host = typeof o._HOSTNAME === 'string' ? o._HOSTNAME : '';
  const pid = typeof o._PID === 'string' ? o._PID : undefined;
  const ts = Number(rt);
  const head: ParsedHead = { ts, format: 'journal', logger: ident, pid, syslogHost: host, hasContext: true };
  const prio = typeof o.PRIORITY === 'string' ? Number(o.PRIORITY) : undefined;
  if (prio !== undefined) head.level = prio <= 2 ? 'CRITICAL' : prio === 3 ? 'ERROR' : prio === 4 ? 'WARNING' : prio <= 6 ? 'INFO' : 'DEBUG';
  parseOsloBody(message, head);
  head.hasContext = true;
  const iso = new Date(Math.floor(ts / 1000)).toISOString().replace('Z', `${String(ts % 1000).padStart(3, '0')}+00:00`);
  const line = `${iso} ${host} ${ident}${pid ? `[${pid}]` : ''}: ${message}`;
  return { head, line, unit: typeof o._SYSTEMD_UNIT === 'string' ? o._SYSTEMD_UNIT : undefined };
}
