import type { Range } from './model';
import { splitLines, type Line } from './text';

/**
 * systemd unit files and drop-ins (`*.service.d/*.conf`): `[Section]` headers, `Key=Value`, `#`/`;` comment
 * lines, trailing `\` continuation. Only what the config doctor needs: LimitNOFILE and friends, with ranges.
 */

export interface UnitEntry {
  section: string | undefined;
  key: string;
  keyRange: Range;
  value: string;
  valueRange: Range;
  line: number;
}

export interface UnitFile {
  lines: Line[];
  sections: { name: string; line: number; range: Range }[];
  entries: UnitEntry[];
  errors: { message: string; range: Range }[];
}

export function parseUnitFile(text: string): UnitFile {
  const lines = splitLines(text);
  const sections: UnitFile['sections'] = [];
  const entries: UnitEntry[] = [];
  const errors: UnitFile['errors'] = [];
  let section: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i].text;
    const body = t.trim();
    if (body === '' || body[0] === '#' || body[0] === ';') continue;
    const lead = t.length - t.trimStart().length;
    if (body[0] === '[') {
      const m = /^\[([^\]]+)\]$/.exec(body);
      if (!m) {
        errors.push({ message: 'A section header looks like "[Service]".', range: { start: { line: i, character: lead }, end: { line: i, character: lead + body.length } } });
        continue;
      }
      section = m[1];
      sections.push({ name: section, line: i, range: { start: { line: i, character: lead }, end: { line: i, character: lead + body.length } } });
      continue;
    }
    const eq = t.indexOf('=');
    if (eq < 0) {
      errors.push({ message: 'A unit file line looks like "Key=Value".', range: { start: { line: i, character: lead }, end: { line: i, character: lead + body.length } } });
      continue;
    }
    const key = t.slice(0, eq).trim();
    const rawValue = t.slice(eq + 1);
    const vs = eq + 1 + (rawValue.length - rawValue.trimStart().length);
    let value = rawValue.trim();
    let endLine = i;
    while (value.endsWith('\\') && endLine + 1 < lines.length) {
      endLine++;
      value = value.slice(0, -1) + ' ' + lines[endLine].text.trim();
    }
    entries.push({
      section,
      key,
      keyRange: { start: { line: i, character: lead }, end: { line: i, character: lead + key.length } },
      value,
      valueRange: { start: { line: i, character: vs }, end: { line: endLine, character: endLine === i ? vs + rawValue.trim().length : lines[endLine].text.length } },
      line: i,
    });
    i = endLine;
  }
  return { lines, sections, entries, errors };
}

/** `LimitNOFILE=` values: `N`, `soft:hard`, `infinity`. Infinity for infinity; undefined when invalid. */
export function parseLimitNofile(value: string): { soft: number; hard: number } | undefined {
  const one = (s: string): number | undefined => {
    const t = s.trim().toLowerCase();
    if (t === 'infinity') return Infinity;
    return /^\d+$/.test(t) ? Number(t) : undefined;
  };
  const parts = value.split(':');
  if (parts.length === 1) {
    const n = one(parts[0]);
    return n === undefined ? undefined : { soft: n, hard: n };
  }
  if (parts.length === 2) {
    const s = one(parts[0]);
    const h = one(parts[1]);
    return s === undefined || h === undefined ? undefined : { soft: s, hard: h };
  }
  return undefined;
}

/** The service a drop-in belongs to: `/etc/systemd/system/mariadb.service.d/limits.conf` → `mariadb.service`. */
export function dropInService(path: string): string | undefined {
  const m = /(?:^|\/)([^/]+\.service)\.d\/[^/]+$/.exec(path);
  return m?.[1];
}

/** The last assignment wins for LimitNOFILE (an empty assignment resets it). */
export function unitValue(unit: UnitFile, section: string, key: string): UnitEntry | undefined {
  let found: UnitEntry | undefined;
  for (const e of unit.entries) if (e.section === section && e.key === key) found = e.value === '' ? undefined : e;
  return found;
}
