import type { Range } from './model';
import { splitLines, type Line } from './text';

/**
 * pam_limits' limits.conf and limits.d/*.conf: `<domain> <type> <item> <value>` per line, `#` comments.
 * domain: a user name, `@group`, `%group` (maxlogins), `*`, uid ranges `1000:`, `:999`, `1000:2000`,
 * `@1000:2000` (gid ranges), `%:gid`. type: `soft`, `hard` or `-` (both). value: a number, `-1`,
 * `unlimited` or `infinity`.
 */

export const LIMIT_ITEMS = [
  'core', 'data', 'fsize', 'memlock', 'nofile', 'rss', 'stack', 'cpu', 'nproc', 'as', 'maxlogins',
  'maxsyslogins', 'nonewprivs', 'priority', 'locks', 'sigpending', 'msgqueue', 'nice', 'rtprio',
] as const;

export interface LimitField {
  text: string;
  range: Range;
}

export interface LimitEntry {
  line: number;
  domain: LimitField;
  type: LimitField;
  item: LimitField;
  value: LimitField;
  /** Numeric value; Infinity for unlimited/infinity/-1; undefined when not a number. */
  amount: number | undefined;
}

export interface LimitsFile {
  lines: Line[];
  entries: LimitEntry[];
  errors: { message: string; range: Range }[];
}

export function parseLimitValue(v: string): number | undefined {
  const s = v.toLowerCase();
  if (s === 'unlimited' || s === 'infinity' || s === '-1') return Infinity;
  return /^\d+$/.test(s) ? Number(s) : undefined;
}

export function parseLimitsConf(text: string): LimitsFile {
  const lines = splitLines(text);
  const entries: LimitEntry[] = [];
  const errors: LimitsFile['errors'] = [];
  lines.forEach((l, i) => {
    const hash = l.text.indexOf('#');
    const body = hash >= 0 ? l.text.slice(0, hash) : l.text;
    const fields: LimitField[] = [];
    const re = /\S+/g;
    for (let m = re.exec(body); m; m = re.exec(body)) {
      fields.push({ text: m[0], range: { start: { line: i, character: m.index }, end: { line: i, character: m.index + m[0].length } } });
    }
    if (fields.length === 0) return;
    const whole: Range = { start: fields[0].range.start, end: fields[fields.length - 1].range.end };
    if (fields.length !== 4) {
      errors.push({ message: `A limits line has four fields "<domain> <type> <item> <value>"; this one has ${fields.length}.`, range: whole });
      return;
    }
    const [domain, type, item, value] = fields;
    if (!['soft', 'hard', '-'].includes(type.text)) {
      errors.push({ message: `The type must be "soft", "hard" or "-", not "${type.text}".`, range: type.range });
      return;
    }
    if (!(LIMIT_ITEMS as readonly string[]).includes(item.text)) {
      errors.push({ message: `pam_limits knows no item "${item.text}".`, range: item.range });
      return;
    }
    entries.push({ line: i, domain, type, item, value, amount: parseLimitValue(value.text) });
  });
  return { lines, entries, errors };
}

/**
 * Whether a limits domain applies to `user` (member of `groups`, with `uid`). pam_limits never applies group
 * or wildcard lines to root: "group and wildcard limits are not applied to the root user".
 */
export function domainApplies(domain: string, user: { name: string; uid?: number; groups?: string[]; gid?: number }): boolean {
  if (domain === user.name) return true;
  if (user.name === 'root' || user.uid === 0) return false;
  if (domain === '*') return true;
  if (domain.startsWith('@') || domain.startsWith('%')) {
    const g = domain.slice(1);
    if (/^\d*:\d*$/.test(g)) return user.gid !== undefined && inRange(g, user.gid);
    return g !== '' && (user.groups ?? []).includes(g);
  }
  if (/^\d*:\d*$/.test(domain)) return user.uid !== undefined && inRange(domain, user.uid);
  return false;
}

function inRange(spec: string, id: number): boolean {
  const [lo, hi] = spec.split(':');
  if (lo !== '' && id < Number(lo)) return false;
  if (hi !== '' && id > Number(hi)) return false;
  return true;
}
