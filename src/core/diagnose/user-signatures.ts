import { parse as parseYaml } from 'yaml';
import { TroubleshooterError, errorMessage } from '../errors';
import { readRegularFileSync } from '../local-file';
import type { Condition, ConditionSource, Signature } from './types';

/**
 * The user's own signatures, in the built-in format (./types.ts), from a YAML or JSON file:
 *
 *   signatures:
 *     - id: my-nfs-stale
 *       title: Instance directory on a stale NFS mount
 *       when:
 *         - source: log
 *           service: ^nova-compute$
 *           message: 'Stale file handle: (?<path>\S+)'
 *       cause: 'nova-compute cannot use {path}: the NFS mount is stale.'
 *       fixes:
 *         - text: Remount the share on the host.
 *
 * Every pattern is compiled and every field checked; a bad file is one clear error naming the file, the signature
 * and the field — never a signature silently ignored.
 */

const SOURCES: Record<ConditionSource, string[]> = {
  log: ['service', 'logger', 'message', 'host', 'request_id', 'global_request_id'],
  fault: ['message', 'details'],
  server: ['id', 'name', 'status', 'host', 'task_state', 'vm_state'],
  event: ['action', 'event', 'result', 'traceback', 'actionMessage'],
  migration: ['status', 'type', 'source_compute', 'dest_compute'],
  service: ['binary', 'host', 'status', 'state', 'disabled_reason'],
  hypervisor: ['id', 'hypervisor_hostname', 'hypervisor_type', 'service_host', 'status', 'state'],
  agent: ['agent_type', 'binary', 'host', 'alive', 'admin_state_up'],
  file: ['host', 'line'],
};
const COMMON = ['source', 'optional', 'label'];
const EXTRA: Partial<Record<ConditionSource, string[]>> = { log: ['level', 'hostLevel'], file: ['path'] };
const MAX_SIGNATURES = 500;

function bad(file: string, where: string, msg: string): never {
  throw new TroubleshooterError('InvalidInput', `${file}: ${where}: ${msg}`);
}

function checkPattern(file: string, where: string, p: unknown): void {
  if (typeof p !== 'string') bad(file, where, 'a pattern must be a string (a regular expression).');
  try {
    // {var} substitutions become a literal for the syntax check
    new RegExp(p.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, 'x'));
  } catch (e) {
    bad(file, where, `invalid regular expression: ${errorMessage(e)}`);
  }
}

function checkCondition(file: string, where: string, c: unknown): Condition {
  if (!c || typeof c !== 'object' || Array.isArray(c)) bad(file, where, 'a condition is a mapping with a "source".');
  const o = c as Record<string, unknown>;
  const source = o.source as ConditionSource;
  if (typeof source !== 'string' || !(source in SOURCES)) bad(file, where, `"source" must be one of ${Object.keys(SOURCES).join(', ')}, not ${JSON.stringify(o.source)}.`);
  const allowed = new Set([...COMMON, ...SOURCES[source], ...(EXTRA[source] ?? [])]);
  for (const k of Object.keys(o)) if (!allowed.has(k)) bad(file, `${where}.${k}`, `unknown field for source "${source}" (known: ${[...allowed].join(', ')}).`);
  for (const k of SOURCES[source]) if (o[k] !== undefined) checkPattern(file, `${where}.${k}`, o[k]);
  if (source === 'log' && typeof o.message !== 'string') bad(file, `${where}.message`, 'a log condition needs a message pattern.');
  if (source === 'file' && (typeof o.host !== 'string' || typeof o.path !== 'string' || typeof o.line !== 'string')) bad(file, where, 'a file condition needs host, path and line.');
  if (source === 'log' && o.level !== undefined && (!Array.isArray(o.level) || !o.level.every((l) => typeof l === 'string'))) bad(file, `${where}.level`, 'a list of levels (ERROR, WARNING…).');
  if (o.optional !== undefined && typeof o.optional !== 'boolean') bad(file, `${where}.optional`, 'true or false.');
  if (o.hostLevel !== undefined && typeof o.hostLevel !== 'boolean') bad(file, `${where}.hostLevel`, 'true or false.');
  return o as unknown as Condition;
}

/** Validates parsed data (a list, or a mapping with `signatures`) as signatures. */
export function validateSignatures(data: unknown, file: string): Signature[] {
  const list = Array.isArray(data) ? data : data && typeof data === 'object' ? (data as Record<string, unknown>).signatures : undefined;
  if (!Array.isArray(list)) bad(file, 'top level', 'expected a list of signatures, or a mapping with "signatures:".');
  if (list.length > MAX_SIGNATURES) bad(file, 'top level', `at most ${MAX_SIGNATURES} signatures.`);
  const ids = new Set<string>();
  return list.map((s, i) => {
    const where = `signature ${i + 1}`;
    if (!s || typeof s !== 'object') bad(file, where, 'a signature is a mapping.');
    const o = s as Record<string, unknown>;
    if (typeof o.id !== 'string' || !/^[a-z0-9][a-z0-9-]{0,79}$/.test(o.id)) bad(file, `${where}.id`, 'a kebab-case id (a-z, 0-9, -).');
    const w = `signature "${o.id}"`;
    if (ids.has(o.id)) bad(file, w, 'the id is used twice.');
    ids.add(o.id);
    if (typeof o.title !== 'string' || !o.title.trim()) bad(file, `${w}.title`, 'a title is required.');
    if (typeof o.cause !== 'string' || !o.cause.trim()) bad(file, `${w}.cause`, 'a cause is required.');
    if (!Array.isArray(o.when) || o.when.length === 0) bad(file, `${w}.when`, 'at least one condition.');
    const when = o.when.map((c, j) => checkCondition(file, `${w}.when[${j}]`, c));
    if (when.every((c) => c.optional)) bad(file, `${w}.when`, 'at least one condition must not be optional.');
    const fixes = o.fixes === undefined ? [] : o.fixes;
    if (!Array.isArray(fixes) || !fixes.every((f) => f && typeof f === 'object' && typeof (f as Record<string, unknown>).text === 'string')) bad(file, `${w}.fixes`, 'a list of fixes, each with a text.');
    if (o.priority !== undefined && typeof o.priority !== 'number') bad(file, `${w}.priority`, 'a number.');
    if (o.supersedes !== undefined && (!Array.isArray(o.supersedes) || !o.supersedes.every((x) => typeof x === 'string'))) bad(file, `${w}.supersedes`, 'a list of signature ids.');
    return { ...(o as unknown as Signature), when, fixes: fixes as Signature['fixes'], origin: file };
  });
}

/** Reads a user's signature file (YAML or JSON; at most 1 MiB). */
export function loadSignatureFile(path: string, shownAs = path): Signature[] {
  let text: string;
  try {
    text = readRegularFileSync(path, { maxBytes: 1024 * 1024 }).bytes.toString('utf8');
  } catch (e) {
    throw new TroubleshooterError('InvalidInput', `${shownAs}: cannot read the signature file (${errorMessage(e)}).`);
  }
  let data: unknown;
  try {
    data = parseYaml(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new TroubleshooterError('InvalidInput', `${shownAs}: not valid YAML/JSON: ${errorMessage(e).split('\n')[0]}`);
  }
  return validateSignatures(data, shownAs);
}

/** Built-in plus the user's: a user signature with a built-in id replaces it (so a built-in can be tuned). */
export function mergeSignatures(builtin: readonly Signature[], user: readonly Signature[]): Signature[] {
  const ids = new Set(user.map((s) => s.id));
  return [...builtin.filter((s) => !ids.has(s.id)), ...user];
}
