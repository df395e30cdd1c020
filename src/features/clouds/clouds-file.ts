import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { isMap, parseDocument, YAMLMap } from 'yaml';
import { TroubleshooterError } from '../../core/errors';
import { readRegularFileSync } from '../../core/local-file';

/** A clouds.yaml is a few KiB; the setting may point anywhere (a device, a FIFO): refused, never read unbounded. */
const MAX_CLOUDS_BYTES = 4 * 1024 * 1024;

/**
 * Edits a clouds.yaml in place, keeping comments and layout (yaml Document API), written atomically (temp + rename)
 * with the file's mode kept (new files 0600: they name users and projects). No vscode import.
 */
function load(path: string) {
  const text = existsSync(path) ? readRegularFileSync(path, { maxBytes: MAX_CLOUDS_BYTES }).bytes.toString('utf8') : '';
  const doc = parseDocument(text || 'clouds: {}\n');
  if (doc.errors.length) throw new TroubleshooterError('ConfigInvalid', `Invalid YAML in "${path}": ${doc.errors[0].message.split('\n')[0]}`, { subject: path });
  if (!isMap(doc.contents)) (doc as { contents: unknown }).contents = new YAMLMap();
  if (!doc.has('clouds') || !isMap(doc.get('clouds'))) doc.set('clouds', new YAMLMap());
  return doc;
}

function save(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const mode = existsSync(path) ? statSync(path).mode & 0o777 : 0o600;
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, path);
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function validateCloudName(name: string): string | undefined {
  return NAME.test(name) ? undefined : 'Use letters, digits, ".", "_" and "-" (up to 64 characters).';
}

/** Adds (or replaces, when `replace`) a cloud entry. The entry must not contain a password. */
export function addCloudEntry(path: string, name: string, entry: Record<string, unknown>, replace = false): void {
  const invalid = validateCloudName(name);
  if (invalid) throw new TroubleshooterError('InvalidInput', `Invalid cloud name "${name}". ${invalid}`);
  const auth = entry.auth as Record<string, unknown> | undefined;
  if (auth && ('password' in auth || 'application_credential_secret' in auth)) {
    throw new TroubleshooterError('InvalidInput', 'A password must not be written into clouds.yaml by this extension.');
  }
  const doc = load(path);
  if (doc.hasIn(['clouds', name]) && !replace) {
    throw new TroubleshooterError('Conflict', `A cloud named "${name}" already exists in "${path}".`, { subject: path });
  }
  doc.setIn(['clouds', name], doc.createNode(entry));
  save(path, doc.toString());
}

/** Where removeCloudEntry keeps the file as it was before the removal. */
export function backupPathOf(path: string): string {
  return `${path}.bak`;
}

/**
 * Removes a cloud entry, keeping comments and the other clouds; the file as it was goes to `<file>.bak` first (same
 * mode: it may hold passwords), since a hand-written entry cannot be recreated by "Add Cloud". Returns false when
 * the entry was not there (nothing written).
 */
export function removeCloudEntry(path: string, name: string): boolean {
  if (!existsSync(path)) return false;
  const doc = load(path);
  if (!doc.hasIn(['clouds', name])) return false;
  const mode = statSync(path).mode & 0o777;
  const bak = backupPathOf(path);
  writeFileSync(bak, readFileSync(path), { mode });
  chmodSync(bak, mode);
  doc.deleteIn(['clouds', name]);
  save(path, doc.toString());
  return true;
}

/** The raw mapping of one cloud in a file (for injecting a stored secret). */
export function readCloudEntry(path: string, name: string): Record<string, unknown> | undefined {
  if (!existsSync(path)) return undefined;
  const v = load(path).toJS() as { clouds?: Record<string, unknown> };
  const c = v.clouds?.[name];
  return c && typeof c === 'object' ? (c as Record<string, unknown>) : undefined;
}
