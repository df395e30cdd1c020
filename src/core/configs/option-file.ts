import type { Range } from './model';
import { splitLines, type Line } from './text';

/**
 * MySQL/MariaDB option files (my.cnf and friends), as mysys/my_default.c reads them:
 * `[group]` headers, `name`, `name = value` (spaces around `=` ignored, value optionally quoted), `#` or `;`
 * comment lines, `!include FILE` and `!includedir DIR` (files ending in .cnf, read in sorted order at the point of
 * the directive). In names `-` and `_` are the same; a `loose-` prefix turns "unknown option" into a warning.
 */

export interface OptionGroupHeader {
  /** As written, e.g. `mysqld` or `mariadb-10.11`. */
  name: string;
  line: number;
  nameRange: Range;
}

export interface OptionLine {
  /** Group the line is in (lower case), undefined before the first header (an error for MariaDB). */
  group: string | undefined;
  /** Name as written, e.g. `max_connections` or `loose-innodb_foo`. */
  rawName: string;
  /** Dash spelling, lower case, without `loose-`: `max-connections`. */
  name: string;
  loose: boolean;
  nameRange: Range;
  /** Value with quotes removed, undefined for a bare flag (`skip-name-resolve`). */
  value: string | undefined;
  valueRange: Range | undefined;
  line: number;
}

export interface OptionInclude {
  directive: 'include' | 'includedir';
  path: string;
  pathRange: Range;
  line: number;
}

export interface OptionFile {
  lines: Line[];
  groups: OptionGroupHeader[];
  options: OptionLine[];
  includes: OptionInclude[];
  errors: { message: string; range: Range }[];
}

/** `max_connections`, `Max-Connections`, `loose-max_connections` → `max-connections`. */
export function canonicalOptionName(raw: string): string {
  return raw.trim().toLowerCase().replace(/_/g, '-').replace(/^loose-/, '');
}

/** Strip an end-of-line `#` comment that is outside quotes (my_default.c remove_end_comment). */
function stripEndComment(s: string): string {
  let quote: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#') return s.slice(0, i);
  }
  return s;
}

function unescape(v: string): string {
  return v.replace(/\\([btnrs\\"'])/g, (_, c: string) => ({ b: '\b', t: '\t', n: '\n', r: '\r', s: ' ' } as Record<string, string>)[c] ?? c);
}

export function parseOptionFile(text: string): OptionFile {
  const lines = splitLines(text);
  const groups: OptionGroupHeader[] = [];
  const options: OptionLine[] = [];
  const includes: OptionInclude[] = [];
  const errors: OptionFile['errors'] = [];
  let group: string | undefined;
  lines.forEach((l, i) => {
    const t = l.text;
    const lead = t.length - t.trimStart().length;
    const body = t.trimStart();
    if (body === '' || body[0] === '#' || body[0] === ';') return;
    if (body[0] === '!') {
      const m = /^!(includedir|include)\s+(.*?)\s*$/.exec(body);
      if (!m) {
        errors.push({ message: 'Unknown "!" directive: only !include and !includedir exist.', range: { start: { line: i, character: lead }, end: { line: i, character: t.length } } });
        return;
      }
      const pathStart = lead + body.indexOf(m[2], m[1].length + 1);
      includes.push({ directive: m[1] as 'include' | 'includedir', path: m[2], pathRange: { start: { line: i, character: pathStart }, end: { line: i, character: pathStart + m[2].length } }, line: i });
      return;
    }
    if (body[0] === '[') {
      const close = body.indexOf(']');
      if (close < 0) {
        errors.push({ message: 'A group header needs a closing "]".', range: { start: { line: i, character: lead }, end: { line: i, character: t.length } } });
        return;
      }
      const inner = body.slice(1, close);
      const name = inner.trim();
      const nameStart = lead + 1 + (inner.length - inner.trimStart().length);
      groups.push({ name, line: i, nameRange: { start: { line: i, character: nameStart }, end: { line: i, character: nameStart + name.length } } });
      group = name.toLowerCase();
      return;
    }
    const content = stripEndComment(body);
    const eq = content.indexOf('=');
    const rawName = (eq < 0 ? content : content.slice(0, eq)).trimEnd();
    const nameRange: Range = { start: { line: i, character: lead }, end: { line: i, character: lead + rawName.length } };
    let value: string | undefined;
    let valueRange: Range | undefined;
    if (eq >= 0) {
      const after = content.slice(eq + 1);
      const v = after.trim();
      const vStart = lead + eq + 1 + (after.length - after.trimStart().length);
      valueRange = { start: { line: i, character: vStart }, end: { line: i, character: vStart + v.length } };
      value = v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0] ? unescape(v.slice(1, -1)) : unescape(v);
    }
    if (group === undefined) {
      errors.push({ message: `The option "${rawName}" comes before any [group]; MariaDB refuses to start with this file.`, range: nameRange });
    }
    const lower = rawName.toLowerCase().replace(/_/g, '-');
    options.push({ group, rawName, name: canonicalOptionName(rawName), loose: lower.startsWith('loose-'), nameRange, value, valueRange, line: i });
  });
  return { lines, groups, options, includes, errors };
}

/** Groups mariadbd reads (MariaDB 10.11: `mariadbd --help` "The following groups are read"). */
export function serverReadsGroup(group: string, serverVersion?: string): boolean {
  const g = group.toLowerCase();
  if (['mysqld', 'server', 'mariadb', 'mariadbd', 'client-server', 'galera'].includes(g)) return true;
  const m = /^(mysqld|mariadb|mariadbd)-(\d+\.\d+)$/.exec(g);
  if (m) return serverVersion === undefined ? true : serverVersion.startsWith(m[2] + '.') || serverVersion === m[2];
  return false;
}

/** Groups that clients read (for "pasted in the wrong place": server options here do nothing for the server). */
export function isClientGroup(group: string): boolean {
  return /^(client|client-mariadb|client-server|mysql|mariadb-client|mysqldump|mariadb-dump|mysqladmin|mariadb-admin|mysqlcheck|mariadb-check|mysqlimport|mariadb-import|mysqlshow|mariadb-show|mysqlslap|mariadb-slap|mysqlbinlog|mariadb-binlog|mysql_upgrade|mysql-upgrade|mariadb-upgrade)$/.test(group.toLowerCase());
}

/** `4096`, `64M`, `1G` → bytes/count (K/M/G/T/P/E are powers of 1024, as my_getopt's eval_num_suffix). */
export function parseOptionNumber(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^\s*(-?\d+)\s*([kmgtpe])?\s*$/i.exec(v);
  if (!m) return undefined;
  const exp = m[2] ? 'kmgtpe'.indexOf(m[2].toLowerCase()) + 1 : 0;
  return Number(m[1]) * 1024 ** exp;
}

/** ON/OFF/TRUE/FALSE/1/0/YES/NO → boolean, anything else undefined. A bare flag means true. */
export function parseOptionBoolean(v: string | undefined): boolean | undefined {
  if (v === undefined) return true;
  const s = v.trim().toLowerCase();
  if (['1', 'on', 'true', 'yes'].includes(s)) return true;
  if (['0', 'off', 'false', 'no'].includes(s)) return false;
  return undefined;
}

/** Reads files for include resolution: the local file system, SFTP, or a test's fixture tree. */
export interface ConfigReader {
  /** File text, or undefined when it does not exist / cannot be read. */
  read(path: string): Promise<string | undefined>;
  /** Names (not paths) in a directory, or undefined when it does not exist. */
  list(dir: string): Promise<string[] | undefined>;
}

/** One option as mariadbd will see it, in read order. */
export interface OptionOccurrence {
  path: string;
  option: OptionLine;
}

export interface OptionTree {
  /** Files in the order they are read (an included file appears where its directive is). */
  files: { path: string; parsed: OptionFile }[];
  /** Every option line of every file, in read order: the last one of a name wins. */
  occurrences: OptionOccurrence[];
  /** Includes that could not be read. */
  missing: { path: string; from: string; line: number }[];
}

function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/**
 * Reads an option file and everything it includes, depth-first in read order, like mysys does (nesting
 * limited to 10 levels; a file is read once). Relative include paths are resolved against the including file.
 */
export async function loadOptionTree(roots: string[], reader: ConfigReader): Promise<OptionTree> {
  const tree: OptionTree = { files: [], occurrences: [], missing: [] };
  const seen = new Set<string>();
  const visit = async (path: string, depth: number, from?: { path: string; line: number }): Promise<void> => {
    if (seen.has(path) || depth > 10) return;
    const text = await reader.read(path);
    if (text === undefined) {
      if (from) tree.missing.push({ path, from: from.path, line: from.line });
      return;
    }
    seen.add(path);
    const parsed = parseOptionFile(text);
    tree.files.push({ path, parsed });
    // Walk options and includes in line order.
    let inc = 0;
    const incs = parsed.includes;
    for (const opt of parsed.options) {
      while (inc < incs.length && incs[inc].line < opt.line) await include(path, incs[inc++], depth);
      tree.occurrences.push({ path, option: opt });
    }
    while (inc < incs.length) await include(path, incs[inc++], depth);
  };
  const include = async (from: string, d: OptionInclude, depth: number): Promise<void> => {
    const target = d.path.startsWith('/') ? d.path : joinPath(dirOf(from), d.path);
    if (d.directive === 'include') return visit(target, depth + 1, { path: from, line: d.line });
    const names = await reader.list(target);
    if (names === undefined) {
      tree.missing.push({ path: target, from, line: d.line });
      return;
    }
    for (const n of names.filter((x) => x.endsWith('.cnf')).sort()) await visit(joinPath(target, n), depth + 1, { path: from, line: d.line });
  };
  for (const r of roots) await visit(r, 0);
  return tree;
}

/** The occurrences of `name` (dash spelling) in groups mariadbd reads, in read order (last wins). */
export function serverOccurrences(tree: OptionTree, name: string, serverVersion?: string): OptionOccurrence[] {
  return tree.occurrences.filter((o) => o.option.group !== undefined && serverReadsGroup(o.option.group, serverVersion) && o.option.name === name);
}

/** The effective server value of an option across the whole tree (the last one read wins). */
export function effectiveServerOption(tree: OptionTree, name: string, serverVersion?: string): OptionOccurrence | undefined {
  const all = serverOccurrences(tree, name, serverVersion);
  return all[all.length - 1];
}
