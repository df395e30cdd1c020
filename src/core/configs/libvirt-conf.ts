import type { Range } from './model';
import { splitLines, type Line } from './text';

/**
 * libvirt's configuration syntax (virconf.c), as used by libvirtd.conf, virtproxyd.conf, qemu.conf:
 * `name = value` where value is a string ("…" or '…', or """…""" over several lines), an integer, or a list
 * `[ v, v, … ]` that may span lines and hold comments. `#` starts a comment. Statements end at a newline or `;`.
 * The parser keeps exact ranges and never rewrites text it did not need to touch.
 */

export type LibvirtValue =
  | { type: 'string'; value: string }
  | { type: 'int'; value: number }
  | { type: 'list'; items: { value: string | number; range: Range }[] };

export interface LibvirtEntry {
  key: string;
  keyRange: Range;
  value: LibvirtValue;
  /** The value as written, quotes and brackets included. */
  valueRange: Range;
  /** Whole statement: key start → value end. */
  range: Range;
}

/** A setting that is present but commented out, e.g. Debian's `#listen_tcp = 1`: a fix can uncomment it. */
export interface LibvirtCommented {
  key: string;
  line: number;
  /** The commented statement without the leading `#` and spaces, e.g. `listen_tcp = 1`. */
  statement: string;
}

export interface LibvirtConf {
  lines: Line[];
  entries: LibvirtEntry[];
  commented: LibvirtCommented[];
  errors: { message: string; range: Range }[];
}

class Cursor {
  line = 0;
  col = 0;
  constructor(readonly lines: Line[]) {}
  get eof(): boolean {
    return this.line >= this.lines.length || (this.line === this.lines.length - 1 && this.col >= this.lines[this.line].text.length);
  }
  /** Current char, '\n' at end of a line, '' at end of text. */
  peek(ahead = 0): string {
    const t = this.lines[this.line]?.text;
    if (t === undefined) return '';
    const c = this.col + ahead;
    if (c < t.length) return t[c];
    if (c === t.length) return this.line < this.lines.length - 1 ? '\n' : '';
    return '';
  }
  next(): string {
    const ch = this.peek();
    if (ch === '\n') {
      this.line++;
      this.col = 0;
    } else if (ch !== '') this.col++;
    return ch;
  }
  here() {
    return { line: this.line, character: this.col };
  }
  skipBlanks(): void {
    while (this.peek() === ' ' || this.peek() === '\t' || this.peek() === '\r') this.next();
  }
  skipToEol(): void {
    while (this.peek() !== '\n' && this.peek() !== '') this.next();
  }
  /** Blanks, newlines and comments (inside lists). */
  skipSpace(): void {
    for (;;) {
      const ch = this.peek();
      if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n') this.next();
      else if (ch === '#') this.skipToEol();
      else return;
    }
  }
}

const COMMENTED = /^#\s*([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*?)\s*$/;

export function parseLibvirtConf(text: string): LibvirtConf {
  const lines = splitLines(text);
  const cur = new Cursor(lines);
  const entries: LibvirtEntry[] = [];
  const errors: LibvirtConf['errors'] = [];
  const commented: LibvirtCommented[] = [];
  lines.forEach((l, i) => {
    const m = COMMENTED.exec(l.text.trim());
    if (m && !/^#\s*#/.test(l.text.trim())) commented.push({ key: m[1], line: i, statement: l.text.trim().replace(/^#\s*/, '') });
  });

  const fail = (message: string, start = cur.here()) => {
    const lineText = lines[start.line]?.text ?? '';
    errors.push({ message, range: { start, end: { line: start.line, character: Math.max(lineText.length, start.character) } } });
    cur.skipToEol();
  };

  const parseScalar = (): { value: string | number; type: 'string' | 'int' } | undefined => {
    const ch = cur.peek();
    if (ch === '"' || ch === "'") {
      const triple = ch === '"' && cur.peek(1) === '"' && cur.peek(2) === '"';
      if (triple) {
        cur.next(); cur.next(); cur.next();
        let s = '';
        while (!(cur.peek() === '"' && cur.peek(1) === '"' && cur.peek(2) === '"')) {
          if (cur.peek() === '') return undefined;
          s += cur.next();
        }
        cur.next(); cur.next(); cur.next();
        return { type: 'string', value: s };
      }
      cur.next();
      let s = '';
      while (cur.peek() !== ch) {
        if (cur.peek() === '\n' || cur.peek() === '') return undefined;
        s += cur.next();
      }
      cur.next();
      return { type: 'string', value: s };
    }
    if (/[-+0-9]/.test(ch)) {
      let s = '';
      while (/[-+0-9]/.test(cur.peek()) && cur.peek() !== '') s += cur.next();
      if (!/^[-+]?\d+$/.test(s)) return undefined;
      return { type: 'int', value: Number(s) };
    }
    return undefined;
  };

  while (!cur.eof) {
    cur.skipSpace();
    if (cur.eof) break;
    const keyStart = cur.here();
    if (!/[A-Za-z_]/.test(cur.peek())) {
      fail('Expected a setting name.');
      continue;
    }
    let key = '';
    while (/[A-Za-z0-9_.]/.test(cur.peek()) && cur.peek() !== '') key += cur.next();
    const keyEnd = cur.here();
    cur.skipBlanks();
    if (cur.peek() !== '=') {
      fail(`Expected "=" after "${key}".`, keyStart);
      continue;
    }
    cur.next();
    cur.skipBlanks();
    const valueStart = cur.here();
    let value: LibvirtValue;
    if (cur.peek() === '[') {
      cur.next();
      const items: { value: string | number; range: Range }[] = [];
      let ok = true;
      for (;;) {
        cur.skipSpace();
        if (cur.peek() === ']') {
          cur.next();
          break;
        }
        const s = cur.here();
        const v = parseScalar();
        if (!v) {
          ok = false;
          break;
        }
        items.push({ value: v.value, range: { start: s, end: cur.here() } });
        cur.skipSpace();
        if (cur.peek() === ',') cur.next();
        else if (cur.peek() !== ']') {
          ok = false;
          break;
        }
      }
      if (!ok) {
        fail(`The list of "${key}" is not closed or holds something other than strings and numbers.`, valueStart);
        continue;
      }
      value = { type: 'list', items };
    } else {
      const v = parseScalar();
      if (!v) {
        fail(`The value of "${key}" must be a quoted string, an integer or a [list].`, valueStart);
        continue;
      }
      value = v.type === 'int' ? { type: 'int', value: v.value as number } : { type: 'string', value: v.value as string };
    }
    const valueEnd = cur.here();
    entries.push({
      key,
      keyRange: { start: keyStart, end: keyEnd },
      value,
      valueRange: { start: valueStart, end: valueEnd },
      range: { start: keyStart, end: valueEnd },
    });
    cur.skipBlanks();
    if (cur.peek() === ';') {
      cur.next(); // another statement may follow on the same line
      continue;
    }
    if (cur.peek() === '#') cur.skipToEol();
    if (cur.peek() !== '\n' && cur.peek() !== '') fail(`Unexpected text after the value of "${key}".`);
  }
  return { lines, entries, commented, errors };
}

/**
 * The assignment libvirt uses: the FIRST one. virconf.c appends every statement to a list and virConfGetValue
 * returns the first entry with that name, so a later duplicate is silently ignored.
 */
export function libvirtEntry(conf: LibvirtConf, key: string): LibvirtEntry | undefined {
  return conf.entries.find((e) => e.key === key);
}

/** Number value of a setting (ints; "1"/"0" strings are not accepted by libvirt for ints). */
export function libvirtInt(conf: LibvirtConf, key: string): number | undefined {
  const e = libvirtEntry(conf, key);
  return e?.value.type === 'int' ? e.value.value : undefined;
}

export function libvirtString(conf: LibvirtConf, key: string): string | undefined {
  const e = libvirtEntry(conf, key);
  return e?.value.type === 'string' ? e.value.value : undefined;
}
