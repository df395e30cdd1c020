import { TroubleshooterError } from '../errors';
import type { Position, Range, TextEdit } from './model';

/** A line of a document without its line break, plus the break that ended it ('' for the last line). */
export interface Line {
  text: string;
  eol: '' | '\n' | '\r\n';
}

/** Splits text into lines, keeping each line break so the document can be rebuilt byte for byte. */
export function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      const crlf = i > start && text.charCodeAt(i - 1) === 13;
      lines.push({ text: text.slice(start, crlf ? i - 1 : i), eol: crlf ? '\r\n' : '\n' });
      start = i + 1;
    }
  }
  lines.push({ text: text.slice(start), eol: '' });
  return lines;
}

/** The line break the document mostly uses ('\n' when none). */
export function documentEol(text: string): '\n' | '\r\n' {
  const crlf = (text.match(/\r\n/g) ?? []).length;
  const lf = (text.match(/\n/g) ?? []).length - crlf;
  return crlf > lf ? '\r\n' : '\n';
}

function offsetAt(lines: Line[], p: Position): number {
  let off = 0;
  const line = Math.min(p.line, lines.length - 1);
  for (let i = 0; i < line; i++) off += lines[i].text.length + lines[i].eol.length;
  if (p.line >= lines.length) return off + lines[line].text.length + lines[line].eol.length;
  return off + Math.min(p.character, lines[line].text.length + lines[line].eol.length);
}

function compare(a: Position, b: Position): number {
  return a.line !== b.line ? a.line - b.line : a.character - b.character;
}

/** Applies non-overlapping edits (as VS Code would) and returns the new text. */
export function applyTextEdits(text: string, edits: TextEdit[]): string {
  const lines = splitLines(text);
  const sorted = edits
    .map((e, i) => ({ e, i, start: offsetAt(lines, e.range.start), end: offsetAt(lines, e.range.end) }))
    .sort((a, b) => a.start - b.start || a.end - b.end || a.i - b.i);
  for (let k = 1; k < sorted.length; k++) {
    if (sorted[k].start < sorted[k - 1].end) {
      throw new TroubleshooterError('InvalidInput', 'Two edits of one fix overlap; nothing was changed.');
    }
  }
  let out = '';
  let at = 0;
  for (const s of sorted) {
    out += text.slice(at, s.start) + s.e.newText;
    at = s.end;
  }
  return out + text.slice(at);
}

/** Range of a whole line including its line break (to delete it). */
export function wholeLineRange(lines: Line[], line: number): Range {
  if (line + 1 < lines.length) return { start: { line, character: 0 }, end: { line: line + 1, character: 0 } };
  // Last line: take the break before it instead, if any.
  if (line > 0) return { start: { line: line - 1, character: lines[line - 1].text.length }, end: { line, character: lines[line].text.length } };
  return { start: { line, character: 0 }, end: { line, character: lines[line].text.length } };
}

export function rangeContains(r: Range, p: Position): boolean {
  return compare(r.start, p) <= 0 && compare(p, r.end) <= 0;
}

/** Edit that inserts whole new lines after line `line` (at the end of the document if it is the last). */
export function insertAfterLine(lines: Line[], line: number, newLines: string[], eol: string): TextEdit {
  const l = Math.min(line, lines.length - 1);
  if (lines[l].eol !== '') {
    const at = { line: l + 1, character: 0 };
    return { range: { start: at, end: at }, newText: newLines.join(eol) + eol };
  }
  const at = { line: l, character: lines[l].text.length };
  return { range: { start: at, end: at }, newText: (lines[l].text.length > 0 ? eol : '') + newLines.join(eol) + eol };
}

/** Edit appending lines at the end of the document, with a separating break when the document lacks a final one. */
export function appendLines(text: string, newLines: string[], eol: string): TextEdit {
  const lines = splitLines(text);
  const last = lines.length - 1;
  const at = { line: last, character: lines[last].text.length };
  const needBreak = lines[last].text.length > 0;
  return { range: { start: at, end: at }, newText: (needBreak ? eol : '') + newLines.join(eol) + eol };
}

/** Levenshtein distance (for "did you mean"). */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}
