import type { HostClock } from './types';

/**
 * Naive local timestamps (oslo.log, Apache, syslog) become UTC with the clock of the host that wrote them.
 * oslo.log writes local time without an offset (Python logging's default converter), so two hosts in different
 * zones only merge correctly after this conversion.
 */

const formatters = new Map<string, Intl.DateTimeFormat | null>();
const offsetCache = new Map<string, number>();

function formatterFor(zone: string): Intl.DateTimeFormat | null {
  let f = formatters.get(zone);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      });
    } catch {
      f = null; // unknown zone name in this runtime: fall back to the fixed offset
    }
    formatters.set(zone, f);
  }
  return f;
}

/** Offset (minutes east of UTC) of `zone` at the UTC instant `utcMs`, or undefined for an unknown zone. */
export function zoneOffsetMinutes(zone: string, utcMs: number): number | undefined {
  const f = formatterFor(zone);
  if (!f) return undefined;
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(new Date(Math.floor(utcMs / 1000) * 1000))) {
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  }
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((asUtc - Math.floor(utcMs / 1000) * 1000) / 60000);
}

/** Zone names that are UTC at every instant (no need to ask Intl per hour of log). */
const UTC_ZONES = new Set(['UTC', 'Etc/UTC', 'Etc/UCT', 'UCT', 'Etc/GMT', 'GMT', 'Etc/GMT+0', 'Etc/GMT-0', 'Etc/GMT0', 'GMT0', 'Etc/Universal', 'Universal', 'Etc/Zulu', 'Zulu', 'Etc/Greenwich', 'Greenwich']);

/** Wall-clock fields on `clock`'s host → epoch milliseconds (UTC). */
export function localToUtcMs(clock: HostClock, y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
  const asUtc = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  if (clock.zone && UTC_ZONES.has(clock.zone)) return asUtc;
  if (clock.zone) {
    const key = `${clock.zone}|${Math.floor(asUtc / 3_600_000)}`;
    let off = offsetCache.get(key);
    if (off === undefined) {
      const first = zoneOffsetMinutes(clock.zone, asUtc);
      if (first !== undefined) {
        // Two steps: the offset at the guessed instant, then at the corrected one (DST edges).
        off = zoneOffsetMinutes(clock.zone, asUtc - first * 60_000) ?? first;
        if (offsetCache.size > 10_000) offsetCache.clear();
        offsetCache.set(key, off);
      }
    }
    if (off !== undefined) return asUtc - off * 60_000;
  }
  return asUtc - clock.offsetMinutes * 60_000;
}

/** `+0100`, `-05:30`, `Z` → minutes east of UTC. */
export function parseOffset(text: string): number | undefined {
  if (text === 'Z' || text === 'z') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(text);
  // hh:mm must be a time of day offset (00:00 to 23:59): "+99:99" is not one
  if (!m || Number(m[2]) > 23 || Number(m[3]) > 59) return undefined;
  const v = Number(m[2]) * 60 + Number(m[3]);
  return m[1] === '-' ? -v : v;
}

/**
 * A host clock from `date '+%z %Z'` and the IANA zone (from /etc/timezone or the /etc/localtime link), as printed
 * by the detection command. Unknown values fall back to UTC.
 */
export function parseHostClock(offset: string | undefined, abbreviation?: string, zone?: string): HostClock {
  const off = offset ? parseOffset(offset.trim()) : undefined;
  const z = zone?.trim();
  const validZone = z && /^[A-Za-z0-9_+\-/]+$/.test(z) && formatterFor(z) ? z : undefined;
  return { offsetMinutes: off ?? 0, zone: validZone, abbreviation: abbreviation?.trim() || undefined };
}

export const MONTHS: Record<string, number> = {
  Jan: 1, Feb: 2, Mar: 3, Apr: 4, May: 5, Jun: 6, Jul: 7, Aug: 8, Sep: 9, Oct: 10, Nov: 11, Dec: 12,
};

/**
 * Syslog timestamps have no year. Pick the year that puts the timestamp closest to a reference instant (the
 * request's time, or the file's mtime), so December lines read in January land in the right year.
 */
export function resolveYear(month: number, day: number, refMs: number): number {
  const refYear = new Date(refMs).getUTCFullYear();
  let best = refYear;
  let bestDist = Infinity;
  for (const y of [refYear - 1, refYear, refYear + 1]) {
    const dist = Math.abs(Date.UTC(y, month - 1, day) - refMs);
    if (dist < bestDist) {
      best = y;
      bestDist = dist;
    }
  }
  return best;
}
