import { TroubleshooterError } from '../../core/errors';
import { OpenStackClient } from '../../core/openstack/client';
import { loadCloudConfig } from '../../core/openstack/clouds-config';
import type { CliIo } from '../command';

/** Shared option parsing, connection and output for the OpenStack listing commands. */

export interface CommonOptions {
  cloud?: string;
  allProjects: boolean;
  json: boolean;
  /** Values of other `--name value` options. */
  values: Record<string, string>;
  /** Other `--flag` options present. */
  flags: Set<string>;
  /** Positional words. */
  positional: string[];
}

export const COMMON_USAGE = '[--cloud NAME] [--all-projects] [--json]';

/**
 * Parses `--cloud NAME`, `--all-projects`, `--json` plus the command's own `valueOptions` (take a value) and
 * `flagOptions`. Unknown options are a usage error.
 */
export function parseCommon(args: string[], valueOptions: string[] = [], flagOptions: string[] = []): CommonOptions {
  const o: CommonOptions = { allProjects: false, json: false, values: {}, flags: new Set(), positional: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const inline = a.startsWith('--') && eq > 0 ? a.slice(eq + 1) : undefined;
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined || (inline === undefined && v.startsWith('--'))) throw new TroubleshooterError('InvalidInput', `Option ${name} needs a value.`);
      return v;
    };
    if (name === '--cloud' || name === '--os-cloud') o.cloud = value();
    else if (name === '--all-projects' || name === '--all') o.allProjects = true;
    else if (name === '--json') o.json = true;
    else if (valueOptions.includes(name)) o.values[name.slice(2)] = value();
    else if (flagOptions.includes(name)) o.flags.add(name.slice(2));
    else if (name.startsWith('--')) throw new TroubleshooterError('InvalidInput', `Unknown option "${name}".`);
    else o.positional.push(a);
  }
  return o;
}

/**
 * Connects to the chosen cloud (clouds.yaml from io.cwd / io.env) and always disposes the client. `signal` (default
 * io.signal) also ends authentication; `maxCallMs` caps each HTTP call below clouds.yaml's api_timeout.
 */
export async function withCloud<T>(io: CliIo, o: CommonOptions, work: (client: OpenStackClient) => Promise<T>, opts: { signal?: AbortSignal; maxCallMs?: number } = {}): Promise<T> {
  const cloud = loadCloudConfig(o.cloud, { env: io.env, cwd: io.cwd });
  const timeoutMs = opts.maxCallMs === undefined ? undefined : Math.min(opts.maxCallMs, cloud.timeoutMs ?? opts.maxCallMs);
  const client = await OpenStackClient.connect(cloud, { logger: io.log, signal: opts.signal ?? io.signal, timeoutMs });
  try {
    return await work(client);
  } finally {
    client.dispose();
  }
}

/** JSON of typed models, without the `raw` API objects. */
export function toJson(data: unknown): string {
  return JSON.stringify(data, (k, v: unknown) => (k === 'raw' ? undefined : v), 2);
}

export type Cell = string | number | boolean | null | undefined;

function cellText(c: Cell): string {
  if (c === null || c === undefined) return '';
  return String(c);
}

/** A plain text table: header, a rule, and rows, columns padded to the widest cell. */
export function table(headers: string[], rows: Cell[][]): string {
  const text = rows.map((r) => r.map(cellText));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...text.map(line)].join('\n');
}

/** Prints a list as JSON or as a table, with a count line (or a reason when empty). */
export function printList<T>(io: CliIo, o: CommonOptions, items: T[], headers: string[], row: (x: T) => Cell[], emptyReason: string): void {
  if (o.json) {
    io.out(toJson(items));
    return;
  }
  if (items.length === 0) {
    io.out(emptyReason);
    return;
  }
  io.out(table(headers, items.map(row)));
}
