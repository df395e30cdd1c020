import { TroubleshooterError } from '../errors';

/**
 * Parsers from the APIs' JSON to ./types.ts: the shared readers here, one file per service beside it (parse-nova.ts,
 * parse-neutron.ts, parse-placement.ts). Lenient about what a microversion or a policy leaves out, strict about what
 * every version has (an id): a response without it is a malformed reply, reported as a typed error.
 */

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function malformed(what: string, detail: string): TroubleshooterError {
  return new TroubleshooterError('HttpError', `The service sent a malformed ${what}: ${detail}.`);
}

export function obj(v: unknown, what: string): Obj {
  if (!isObj(v)) throw malformed(what, `expected an object, got ${Array.isArray(v) ? 'an array' : typeof v}`);
  return v;
}

export function str(o: Obj, k: string): string | undefined {
  const v = o[k];
  return typeof v === 'string' ? v : undefined;
}

export function strOrNull(o: Obj, k: string): string | null | undefined {
  const v = o[k];
  if (v === null) return null;
  return typeof v === 'string' ? v : undefined;
}

export function num(o: Obj, k: string): number | undefined {
  const v = o[k];
  return typeof v === 'number' ? v : undefined;
}

export function numOrNull(o: Obj, k: string): number | null | undefined {
  const v = o[k];
  if (v === null) return null;
  return typeof v === 'number' ? v : undefined;
}

export function bool(o: Obj, k: string): boolean | undefined {
  const v = o[k];
  return typeof v === 'boolean' ? v : undefined;
}

export function idOf(o: Obj, k: string, what: string): string {
  const v = o[k];
  if (typeof v === 'string' && v.trim() !== '') return v.trim();
  if (typeof v === 'number') return String(v);
  throw malformed(what, `missing "${k}"`);
}

export function optId(o: Obj, k: string): string | undefined {
  const v = o[k];
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number') return String(v);
  return undefined;
}

export function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

export function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObj(v)) for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
}

/** The array under `key` of a list response (`{"servers": [...]}`). */
export function listOf(body: unknown, key: string): unknown[] {
  const o = obj(body, `"${key}" list`);
  const v = o[key];
  if (!Array.isArray(v)) throw malformed(`"${key}" list`, `no "${key}" array`);
  return v;
}

/** The object under `key` of a show response (`{"server": {...}}`). */
export function itemOf(body: unknown, key: string): unknown {
  const o = obj(body, `"${key}"`);
  if (!(key in o)) throw malformed(`"${key}"`, `no "${key}" object`);
  return o[key];
}

/** The `next` href of a response's `<key>_links` (Nova, Neutron) or `links` (instance actions), if any. */
export function nextLink(body: unknown, linksKey: string): string | undefined {
  if (!isObj(body)) return undefined;
  const links = body[linksKey];
  if (!Array.isArray(links)) return undefined;
  for (const l of links) if (isObj(l) && l.rel === 'next' && typeof l.href === 'string') return l.href;
  return undefined;
}

/** API timestamps → Date (naive ones are UTC: Nova `2016-01-29T13:42:02.000000`, Neutron `2018-04-08 07:32:42`). */
export function parseApiTime(s: string | null | undefined): Date | undefined {
  if (!s) return undefined;
  let t = s.trim().replace(' ', 'T');
  if (!/(Z|[+-]\d\d:?\d\d)$/.test(t)) t += 'Z';
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? undefined : d;
}
