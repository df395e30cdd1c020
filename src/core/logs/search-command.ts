import { TroubleshooterError } from '../errors';
import { validateKey, type CorrelationKey } from './keys';

/**
 * The remote search, as data. ONE streaming command per host: a constant POSIX sh script (never built from input)
 * with the keys, the time window and the directories as positional arguments, so the remote layer quotes each once.
 *
 * What runs on the host:
 *   find DIRS -type f -newermt @SINCE ! -name '*.gz' … -exec grep -F -b -Z -H -A CTX -e KEYS -- {} +
 *   find DIRS -type f -newermt @SINCE -name '*.gz' -exec sh -c 'gzip -cdq -- "$f" | grep … --label="$f"' …
 *   journalctl -o short-iso-precise --since @SINCE [-u UNIT…] | grep -F -b -Z -H --label=journal -A CTX -e KEYS
 *   … | cut -b 1-MAX
 * Choices, and why:
 * - `LC_ALL=C grep -F`: byte matching, no locale cost, no regex from input; invalid UTF-8 cannot make grep stop.
 * - `-Z -b -H`: the file name ends at a NUL (file names may contain ':' and '-'), then the line's byte offset followed
 *   by ':' for a matching line and '-' for a context line. The offset identifies a line across rounds (as a line
 *   number would), but `-n` makes grep count every newline of the file: 25% more time on a 1 GiB log (measured,
 *   GNU grep 3.8); the offset is known anyway. Gaps between context groups come as grep's `--` separators.
 * - `-A CTX` (default 100): tracebacks' continuation lines do not contain the key. oslo.log writes them right after
 *   the record (raw lines, or lines with the exception prefix `<ts> <pid> ERROR <logger>` and no request id), so a
 *   bounded trailing context brings them in the same pass; the parser keeps only lines that continue a matching
 *   record and drops the rest. A second round trip per file would double latency; CTX bounds the cost (overlapping
 *   contexts are printed once).
 * - Binary files: no `-a` and no `-I`. grep then reports `grep: FILE: binary file matches` on stderr, which becomes a
 *   per-file warning; the lines of a binary file are never shown (a log corrupted with NUL blocks is named, not
 *   silently skipped).
 * - Unreadable files: grep/find print `Permission denied` on stderr and go on; each becomes a per-file warning.
 *   Their stderr stays stderr (every runner hands it over line by line): merged into a block-buffered stdout, a
 *   message could land in the middle of a line.
 * - Block-buffered search output (no `--line-buffered`): `cut` buffers its output anyway, so line buffering only
 *   made grep and cut trade one line at a time, 8% of a 4-host search's wall time on 2 cores (bench/logs-correlate.ts).
 *   Follow mode keeps `--line-buffered`: there every line must go out as it comes. A search's `cut` writes 64 KiB
 *   blocks (`stdbuf -o 64K`, when there): fewer, fuller SSH packets, half our CPU per MiB taken in.
 * - Long lines: `cut -b 1-MAX` bounds every output line on the host (MAX = 1 MiB + framing), and the local line
 *   splitter bounds it again for display. grep itself holds a whole line (a 300 MB line took 600 MB): plain files are
 *   searched by one grep per batch under `ulimit -v` (CAPPED_GREP), falling back to `cut | grep` only for a file
 *   with a line too long for it; `.gz`, journald and follow streams go through `cut` before grep. Follow mode uses `stdbuf -oL cut` when stdbuf exists (plain cut would
 *   buffer a live stream), else the local splitter alone bounds memory.
 * - Rotated files: only files modified since the window start (`-newermt`); `.gz` through gzip -cd. The window start
 *   is absent for "search everything".
 * - Cancellation: with `watchStdin`, the script ends its whole process tree when its stdin closes (ssh channel
 *   closed or client killed), because without a pty a remote grep or tail would otherwise outlive the session.
 */

export const DEFAULT_CONTEXT_LINES = 100;
/** Bytes of one output line kept on the host (framing included). */
export const REMOTE_MAX_LINE_BYTES = 1024 * 1024 + 4096;

/**
 * Never searched: compressed formats grep cannot read, binary journals, runtime files — and access logs (httpd's
 * `*access.log`, uwsgi's request logs): they carry no request id, and every request they record is also logged, with
 * its ids, by the service itself (nova-api, placement-api, keystone), so for an instance they only add one line per
 * periodic poll of its allocations. The error logs of httpd are searched.
 */
export const EXCLUDE = ['*.xz', '*.bz2', '*.zst', '*.journal', '*.journal~', '*.pid', '*.sock', '*.lock', '*access.log', '*access.log.*', '*access_log', '*access_log.*', '*-uwsgi.log', '*-uwsgi.log.*'];

const TREE = 'tree() { echo "$1"; for c in $(pgrep -P "$1" 2>/dev/null); do tree "$c"; done; }';

const WATCH = [
  'if [ "$watch" = 1 ]; then',
  '  exec 3<&0',
  '  ( body "$@" ) &',
  '  p=$!',
  '  { cat <&3 >/dev/null 2>&1; kill -TERM $(tree $p) 2>/dev/null; } &',
  '  w=$!',
  '  wait $p',
  '  kill -TERM $(tree $w) 2>/dev/null',
  'else',
  '  body "$@"',
  'fi',
  'exit 0',
];

/** Detection in the same command (saves a round trip per host): keeps only existing folders, prints the clock. */
const DETECT_INLINE = [
  'if [ "$detect" = 1 ]; then',
  '  for d; do shift; [ -d "$d" ] && { printf "D %s\\n" "$d"; set -- "$@" "$d"; }; done',
  '  date "+T %z %Z"',
  '  z=""; [ -r /etc/timezone ] && z=$(head -n 1 /etc/timezone)',
  '  [ -z "$z" ] && [ -L /etc/localtime ] && z=$(readlink /etc/localtime | sed -n "s|.*zoneinfo/||p")',
  '  printf "Z %s\\n" "$z"',
  '  if [ "$journal" = auto ]; then',
  '    journal=""',
  '    if [ $# -eq 0 ] && command -v journalctl >/dev/null 2>&1 && { [ -d /var/log/journal ] || [ -d /run/log/journal ]; }; then journal=-; echo J; fi',
  '  fi',
  'fi',
];

/** Virtual memory of one grep over plain files (KiB): enough for every normal log, far below a 300 MB line. */
export const GREP_VM_KIB = 128 * 1024;

/**
 * Plain files, run as `find -exec sh -c CAPPED_GREP grep KEYS CTX MAX FILE… +`: one grep for the whole batch (as fast
 * as before) under `ulimit -v`, so a huge line makes grep stop ("memory exhausted", which its stderr filter turns into
 * exit 3) instead of holding the line. Only then each readable file of the batch is searched again alone, and a file
 * whose grep still runs out of memory is searched over `cut -b 1-MAX` lines (bounded, slower). Lines found twice have
 * the same byte offset and are dropped as duplicates; after a cut-off line, offsets count the cut bytes (still unique
 * and in order).
 */
const CAPPED_GREP = [
  'keys=$1 ctx=$2 max=$3; shift 3',
  `g() { ( ulimit -v ${GREP_VM_KIB} 2>/dev/null; exec grep -F -b -Z -H -A "$ctx" -e "$keys" -- "$@" ); }`,
  'capped() {',
  '  { g "$@" 2>&1 1>&3 3>&- | { x=0; while IFS= read -r l; do if [ "$l" = "grep: memory exhausted" ]; then x=3; else printf "%s\\n" "$l" >&2; fi; done; exit $x; }; } 3>&1',
  '}',
  'capped "$@" && exit 0',
  'for f; do',
  '  [ -r "$f" ] || continue',
  '  capped "$f" || cut -b "1-$max" -- "$f" | grep -F -b -Z -H --label="$f" -A "$ctx" -e "$keys"',
  'done',
  'exit 0',
].join('\n');

function shellWord(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

const SEARCH_SCRIPT = [
  'ctx=$1 max=$2 since=$3 keys=$4 journal=$5 watch=$6 detect=$7',
  'shift 7',
  'export LC_ALL=C',
  'set -f',
  TREE,
  ...DETECT_INLINE,
  'search() {',
  '  if [ $# -gt 0 ]; then',
  `    find "$@" -type f \${since:+-newermt} \${since:+"@$since"} ! -name '*.gz' ${EXCLUDE.map((e) => `! -name '${e}'`).join(' ')} -exec sh -c ${shellWord(CAPPED_GREP)} grep "$keys" "$ctx" "$max" {} +`,
  `    find "$@" -type f \${since:+-newermt} \${since:+"@$since"} -name '*.gz' -exec sh -c 'k=$1 c=$2 m=$3; shift 3; for f; do gzip -cdq -- "$f" | cut -b "1-$m" | grep -F -b -Z -H --label="$f" -A "$c" -e "$k"; done' gz "$keys" "$ctx" "$max" {} +`,
  '  fi',
  '  if [ -n "$journal" ]; then',
  '    (',
  "      IFS='",
  "'",
  '      set --',
  '      for u in $journal; do [ "$u" = "-" ] || set -- "$@" -u "$u"; done',
  '      journalctl --no-pager -q -o short-iso-precise ${since:+--since} ${since:+"@$since"} "$@" 2>&1 | cut -b "1-$max" | grep -F -b -Z -H --label=journal -A "$ctx" -e "$keys"',
  '    )',
  '  fi',
  '}',
  // 64 KiB writes when stdbuf exists (GNU coreutils): cut's default 4 KiB blocks became one SSH packet each, and the
  // per-packet work on our side was half the CPU of taking in a search's output (bench/logs-correlate.ts)
  'bound() { if command -v stdbuf >/dev/null 2>&1; then stdbuf -o 64K cut -b "1-$max"; else cut -b "1-$max"; fi; }',
  'body() { search "$@" | bound; echo DONE; }',
  ...WATCH,
].join('\n');

const FOLLOW_SCRIPT = [
  'ctx=$1 max=$2 since=$3 keys=$4 journal=$5 watch=$6 rescan=$7',
  'shift 7',
  'export LC_ALL=C',
  'set -f',
  TREE,
  'bound() { if command -v stdbuf >/dev/null 2>&1; then stdbuf -oL cut -b "1-$max"; else cat; fi; }',
  // lines are cut before grep too, so grep never holds a huge line (without stdbuf a cut would hold back live lines)
  'pre() { if command -v stdbuf >/dev/null 2>&1; then stdbuf -oL cut -b "1-$max"; else cat; fi; }',
  `list() { find "$@" -type f \\( -name '*.log' -o -name '*_log' \\) ${EXCLUDE.map((e) => `! -name '${e}'`).join(' ')} 2>/dev/null; }`,
  // a file that appears later: its own tail from its first line (every line of it is newer than the follow), lines
  // labelled with its path and group separators naming it, since its output interleaves with the main tail's
  'follow_new() {',
  '  tail -F -n +1 -- "$1" | pre | grep --line-buffered -F -Z -H --label="tail:$1" --group-separator="-- $1" -A "$ctx" -e "$keys" | bound',
  '}',
  'rescan() {',
  '  while sleep "$rescan"; do',
  '    now=$(list "$@")',
  '    new=$(printf "%s\\n%s\\n%s\\n" "$known" "$known" "$now" | sort | uniq -u)',
  '    [ -n "$new" ] || continue',
  '    for f in $new; do echo "NEW $f"; follow_new "$f" & done',
  '    known=$(printf "%s\\n%s\\n" "$known" "$new" | sort -u)',
  '  done',
  '}',
  'body() {',
  "  IFS='",
  "'",
  '  known=""',
  '  [ $# -gt 0 ] && known=$(list "$@")',
  '  n=0',
  '  for f in $known; do n=$((n + 1)); done',
  '  if [ "$n" -gt 0 ]; then',
  '    echo "FILES $n"',
  "    tail -v -F -n 0 -- $known | pre | grep --line-buffered -F -Z -H --label=tail -A \"$ctx\" -e \"$keys\" -e '==> ' | bound &",
  '  fi',
  "  IFS=' '",
  '  if [ $# -gt 0 ] && [ "$rescan" -gt 0 ]; then',
  "    IFS='",
  "'",
  '    rescan "$@" &',
  "    IFS=' '",
  '  fi',
  '  if [ -n "$journal" ]; then',
  '    (',
  "      IFS='",
  "'",
  '      set --',
  '      for u in $journal; do [ "$u" = "-" ] || set -- "$@" -u "$u"; done',
  '      journalctl --no-pager -q -f -n 0 -o short-iso-precise "$@" | pre | grep --line-buffered -F -Z -H --label=journal -A "$ctx" -e "$keys" | bound',
  '    ) &',
  '  fi',
  '  { [ -n "$journal" ] || [ "$n" -eq 0 ]; } && echo READY',
  '  wait',
  '}',
  ...WATCH,
].join('\n');

export interface SearchSpec {
  keys: CorrelationKey[];
  /** Existing directories on the host (already prefixed with the offline root, if any). */
  dirs: string[];
  /** journald units (empty = all), undefined for no journald, 'auto' with `detect`. */
  journald?: string[] | 'auto';
  /** Only files modified since (epoch ms); undefined = all files, rotated ones included. */
  sinceMs?: number;
  contextLines?: number;
  /** End the remote process tree when stdin closes (ssh CLI and local runners keep stdin open). */
  watchStdin?: boolean;
  /**
   * Follow only: look for new log files in `dirs` every this many seconds (a service's new log, a file rotated in)
   * and follow each from its first line. 0: never. Default 5.
   */
  rescanSeconds?: number;
  /**
   * Search only: `dirs` are candidates; the script keeps the existing ones and first prints the detection lines
   * (`D <dir>`, `T <+hhmm> <abbr>`, `Z <zone>`, `J`) that `parseDetect` reads. `journald: 'auto'` then means
   * "the journal, when no folder exists".
   */
  detect?: boolean;
}

function checkedKeys(keys: CorrelationKey[]): string {
  if (keys.length === 0) throw new TroubleshooterError('InvalidInput', 'Nothing to search for: no request id or instance was given.');
  const values = keys.map((k) => validateKey(k).value);
  return [...new Set(values)].join('\n');
}

function checkedDirs(dirs: string[]): string[] {
  for (const d of dirs) {
    if (!d.startsWith('/') || d.includes('\n') || d.includes('\0') || d.split('/').includes('..')) {
      throw new TroubleshooterError('InvalidInput', `Not an absolute log directory: "${d.slice(0, 120)}".`);
    }
  }
  return dirs;
}

function journalArg(units: string[] | 'auto' | undefined): string {
  if (units === undefined) return '';
  if (units === 'auto') return 'auto';
  for (const u of units) {
    if (!/^[A-Za-z0-9@._:\\-]+$/.test(u)) throw new TroubleshooterError('InvalidInput', `Not a systemd unit name: "${u.slice(0, 120)}".`);
  }
  return units.length ? units.join('\n') : '-';
}

function common(spec: SearchSpec): string[] {
  const ctx = spec.contextLines ?? DEFAULT_CONTEXT_LINES;
  if (!Number.isInteger(ctx) || ctx < 0 || ctx > 10_000) throw new TroubleshooterError('InvalidInput', `Invalid context line count "${ctx}".`);
  const since = spec.sinceMs === undefined ? '' : String(Math.max(0, Math.floor(spec.sinceMs / 1000)));
  return [String(ctx), String(REMOTE_MAX_LINE_BYTES), since, checkedKeys(spec.keys), journalArg(spec.journald), spec.watchStdin ? '1' : '0'];
}

/** Lines the detection part of the search prints before any match. */
export function isDetectLine(text: string): boolean {
  return /^(?:D \/.*|T [+-]\d{4}\b.*|Z .*|Z|J)$/.test(text);
}

/** argv of the one-shot search on one host. */
export function searchArgv(spec: SearchSpec): string[] {
  if (spec.journald === 'auto' && !spec.detect) throw new TroubleshooterError('InvalidInput', 'journald "auto" needs detection.');
  return ['sh', '-c', SEARCH_SCRIPT, 'sh', ...common(spec), spec.detect ? '1' : '0', ...checkedDirs(spec.dirs)];
}

export const DEFAULT_RESCAN_SECONDS = 5;

/**
 * argv of the live follow on one host: `tail -F -n 0` on the log files found at the start, the same fixed-string
 * filter, and every `rescanSeconds` a `find` for files that appeared since (each then followed from its first line, so
 * no line is shown twice and none written before the rescan is lost).
 */
export function followArgv(spec: SearchSpec): string[] {
  if (spec.journald === 'auto') throw new TroubleshooterError('InvalidInput', 'Follow needs detected sources.');
  const rescan = spec.rescanSeconds ?? DEFAULT_RESCAN_SECONDS;
  if (!Number.isInteger(rescan) || rescan < 0 || rescan > 3600) throw new TroubleshooterError('InvalidInput', `Invalid rescan interval "${rescan}".`);
  return ['sh', '-c', FOLLOW_SCRIPT, 'sh', ...common({ ...spec, sinceMs: undefined }), String(rescan), ...checkedDirs(spec.dirs)];
}

export type SearchLine =
  | { kind: 'separator'; file?: string }
  | { kind: 'line'; file: string; offset?: number; matched?: boolean; text: string }
  | { kind: 'header'; file: string }
  | { kind: 'other'; text: string };

/**
 * One line of the search/follow output. Search: `FILE\0N:text` (match) or `FILE\0N-text` (context), N the byte
 * offset of the line in its file (grep -b).
 * Follow: `tail\0text` / `journal\0text`, tail's `==> FILE <==` headers, and for files found by a rescan
 * `tail:FILE\0text` with separators `-- FILE`.
 */
export function parseSearchLine(line: string): SearchLine {
  if (line === '--') return { kind: 'separator' };
  const nul = line.indexOf('\0');
  if (nul < 0) {
    // follow: the group separator of a file that appeared later (`-- /var/log/nova/new.log`)
    if (line.startsWith('-- /')) return { kind: 'separator', file: line.slice(3) };
    return { kind: 'other', text: line };
  }
  const file = line.slice(0, nul);
  const rest = line.slice(nul + 1);
  // follow: a line of a file that appeared later, labelled with its path
  if (file.startsWith('tail:/')) return { kind: 'line', file: file.slice(5), text: rest };
  if (file === 'tail' || (file === 'journal' && !/^\d+[:-]/.test(rest))) {
    if (file === 'tail') {
      const h = /^==> (.+) <==$/.exec(rest);
      if (h) return { kind: 'header', file: h[1] };
      if (rest === '') return { kind: 'separator' };
      return { kind: 'line', file: '', text: rest };
    }
    return { kind: 'line', file: 'journal', text: rest };
  }
  const m = /^(\d+)([:-])/.exec(rest);
  if (!m) return { kind: 'line', file, text: rest };
  return { kind: 'line', file, offset: Number(m[1]), matched: m[2] === ':', text: rest.slice(m[0].length) };
}

/** A per-file problem from the command's stderr, as a user-facing sentence; undefined for noise. */
export function classifyStderr(line: string, mapPath: (p: string) => string = (p) => p): { file?: string; message: string } | undefined {
  const t = line.trim();
  if (!t || t === 'READY' || /^(?:Terminated|Killed|Hangup)$/.test(t) || /^sh: \d+: kill: /.test(t)) return undefined;
  let m = /^(?:grep|find|gzip|tail|cut|journalctl): ['‘]?(.+?)['’]?: (.+)$/.exec(t);
  if (m) {
    const file = mapPath(m[1]);
    const why = m[2];
    if (/binary file matches/i.test(why)) return { file, message: `Skipped binary file "${file}": it contains the key but is not text.` };
    if (/permission denied/i.test(why)) return { file, message: `Cannot read "${file}": permission denied.` };
    if (/no such file/i.test(why)) return undefined; // rotated away between find and grep
    if (/not in gzip format|unexpected end of file|crc error/i.test(why)) return { file, message: `Cannot decompress "${file}": ${why}.` };
    return { file, message: `Problem reading "${file}": ${why}.` };
  }
  m = /^tail: (?:cannot open )?['‘](.+?)['’].*?(?:: (.+))?$/.exec(t);
  if (m) {
    if (/has become inaccessible|has been replaced|has appeared|following new file/.test(t)) return undefined;
    const file = mapPath(m[1]);
    return { file, message: `Cannot follow "${file}"${m[2] ? `: ${m[2]}` : ''}.` };
  }
  if (/^Binary file (.+) matches$/.test(t)) {
    const file = mapPath(t.replace(/^Binary file (.+) matches$/, '$1'));
    return { file, message: `Skipped binary file "${file}": it contains the key but is not text.` };
  }
  if (/^(?:No journal files were found|-- No entries --)/.test(t)) return undefined;
  return { message: t.length > 300 ? `${t.slice(0, 300)}…` : t };
}
