/**
 * A small reader for the INI-like files the checks look at: oslo.config files (nova.conf, neutron agent ini),
 * my.cnf, and libvirt's `key = value` files (libvirtd.conf, qemu.conf; no sections, values quoted).
 * It only reads: the config doctor (src/core/configs) owns editing with exact ranges.
 */

export interface IniValue {
  value: string;
  /** 1-based line number in the file. */
  line: number;
  file?: string;
}

/** section (lower-cased, "" before any header) → key (as written, lower-cased) → last value. */
export type Ini = Map<string, Map<string, IniValue>>;

export function parseIni(text: string, file?: string, into: Ini = new Map()): Ini {
  let section = '';
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      section = header[1].trim().toLowerCase();
      continue;
    }
    const eq = line.search(/[=:]/);
    const key = (eq < 0 ? line : line.slice(0, eq)).trim().toLowerCase();
    if (!key) continue;
    let value = eq < 0 ? '' : line.slice(eq + 1).trim();
    // libvirt style: value = "quoted" or [ "list" ]; strip a trailing comment outside quotes.
    value = stripTrailingComment(value);
    if (/^".*"$/.test(value) || /^'.*'$/.test(value)) value = value.slice(1, -1);
    let sec = into.get(section);
    if (!sec) into.set(section, (sec = new Map()));
    const v: IniValue = { value, line: i + 1 };
    if (file) v.file = file;
    sec.set(key, v);
  }
  return into;
}

function stripTrailingComment(v: string): string {
  let quote: string | undefined;
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(v[i - 1]))) return v.slice(0, i).trim();
  }
  return v;
}

/** The value of `key` in `section` ("" for libvirt-style files); my.cnf accepts - and _ alike. */
export function iniGet(ini: Ini, section: string, key: string): IniValue | undefined {
  const sec = ini.get(section.toLowerCase());
  if (!sec) return undefined;
  return sec.get(key.toLowerCase()) ?? sec.get(key.toLowerCase().replace(/_/g, '-')) ?? sec.get(key.toLowerCase().replace(/-/g, '_'));
}

/** oslo.config booleans. */
export function iniBool(v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  const s = v.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(s)) return true;
  if (['0', 'false', 'no', 'off'].includes(s)) return false;
  return undefined;
}
