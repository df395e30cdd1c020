import { TroubleshooterError } from '../errors';
import { isObj } from './parse';

/**
 * Microversions ("2.53", "1.39") as comparable values, negotiation against a service's version document, and the
 * Nova request bodies whose shape depends on the microversion (live migrate, cold migrate, services).
 */

export interface Microversion {
  major: number;
  minor: number;
}

export function parseMicroversion(s: string): Microversion {
  const m = /^\s*v?(\d+)\.(\d+)\s*$/.exec(s);
  if (!m) throw new TroubleshooterError('InvalidInput', `Not a microversion (expected like "2.79"): "${s}".`);
  return { major: Number(m[1]), minor: Number(m[2]) };
}

export function formatMicroversion(v: Microversion): string {
  return `${v.major}.${v.minor}`;
}

/** Negative when a < b, 0 when equal, positive when a > b. */
export function compareMicroversions(a: Microversion | string, b: Microversion | string): number {
  const x = typeof a === 'string' ? parseMicroversion(a) : a;
  const y = typeof b === 'string' ? parseMicroversion(b) : b;
  return x.major !== y.major ? x.major - y.major : x.minor - y.minor;
}

/** True when `v` ≥ `min` (and < `below`, when given). */
export function mvAtLeast(v: string, min: string, below?: string): boolean {
  return compareMicroversions(v, min) >= 0 && (below === undefined || compareMicroversions(v, below) < 0);
}

/** The supported range from a version document: `{"version":{…}}` (Nova at /v2.1) or `{"versions":[…]}`. */
export function versionRange(doc: unknown, prefer?: string): { min: string; max: string } | undefined {
  const candidates: unknown[] = [];
  if (isObj(doc) && isObj(doc.version)) candidates.push(doc.version);
  if (isObj(doc) && Array.isArray(doc.versions)) candidates.push(...doc.versions);
  let best: { min: string; max: string } | undefined;
  for (const c of candidates) {
    if (!isObj(c)) continue;
    // Nova: version/min_version; Placement: max_version/min_version.
    const max = typeof c.max_version === 'string' && c.max_version ? c.max_version : typeof c.version === 'string' ? c.version : '';
    const min = typeof c.min_version === 'string' && c.min_version ? c.min_version : '';
    if (!/^\d+\.\d+$/.test(max)) continue;
    const range = { min: /^\d+\.\d+$/.test(min) ? min : max, max };
    if (prefer && c.id === prefer) return range;
    if (!best || compareMicroversions(range.max, best.max) > 0) best = range;
  }
  return best;
}

/**
 * The version to use: the highest both sides support. `wanted` (a clouds.yaml `compute_api_version` or a per-call pin)
 * must lie inside the server's range.
 */
export function negotiateMicroversion(
  service: string,
  server: { min: string; max: string } | undefined,
  clientMax: string,
  wanted?: string,
): string {
  if (wanted !== undefined && wanted !== '' && wanted !== 'latest') {
    if (server && (compareMicroversions(wanted, server.min) < 0 || compareMicroversions(wanted, server.max) > 0)) {
      throw new TroubleshooterError(
        'Unsupported',
        `The ${service} API supports microversions ${server.min} to ${server.max}, not the requested "${wanted}".`,
      );
    }
    return formatMicroversion(parseMicroversion(wanted));
  }
  if (!server) return clientMax.startsWith('2.') ? '2.1' : '1.0';
  return compareMicroversions(server.max, clientMax) < 0 ? server.max : clientMax;
}

// ---------------------------------------------------------------- Nova request bodies

export interface LiveMigrateOptions {
  /** Target compute *service* host (`OS-EXT-SRV-ATTR:host`, `service.host`), not the hypervisor hostname. Omit to let the scheduler choose. */
  host?: string | null;
  /** "auto" (from 2.25; the default there), true (fails on shared storage) or false (fails without it). */
  blockMigration?: boolean | 'auto';
  /** Only below 2.25. */
  diskOverCommit?: boolean;
  /**
   * 2.30–2.67: sent as `force` (skip the scheduler's checks of the host). Below 2.30 a host always skips them and the
   * body has no such key: `force: true` is then the caller's consent, not sent. Refused from 2.68.
   */
  force?: boolean;
}

/**
 * The `os-migrateLive` body for a microversion (nova `schemas/migrate_server.py`): `host` always present (null = let
 * the scheduler pick), `block_migration` required, `"auto"` only from 2.25, `disk_over_commit` only below 2.25,
 * `force` only 2.30–2.67. Before 2.30 a host bypasses the scheduler, so it is refused without `force: true`
 * (as openstacksdk does), which is then not sent.
 */
export function liveMigrateBody(mv: string, o: LiveMigrateOptions = {}): { 'os-migrateLive': Record<string, unknown> } {
  const host = o.host ?? null;
  if (host !== null && !/^[A-Za-z0-9._-]+$/.test(host)) {
    throw new TroubleshooterError('InvalidInput', `Not a valid compute host name: "${host}".`);
  }
  const v225 = mvAtLeast(mv, '2.25');
  let block = o.blockMigration ?? (v225 ? 'auto' : false);
  if (block === 'auto' && !v225) {
    throw new TroubleshooterError('Unsupported', `block_migration "auto" needs compute microversion 2.25, the cloud speaks "${mv}".`);
  }
  if (typeof block === 'string' && block !== 'auto') block = false;
  const body: Record<string, unknown> = { host, block_migration: block };
  if (!v225) body.disk_over_commit = o.diskOverCommit ?? false;
  else if (o.diskOverCommit) {
    throw new TroubleshooterError('Unsupported', `disk_over_commit was removed in compute microversion 2.25, the cloud speaks "${mv}".`);
  }
  if (o.force !== undefined && mvAtLeast(mv, '2.68')) {
    throw new TroubleshooterError('Unsupported', `The force flag was removed in compute microversion 2.68; the cloud speaks "${mv}".`);
  }
  if (mvAtLeast(mv, '2.30')) {
    if (o.force !== undefined) body.force = o.force;
  } else if (host !== null && o.force !== true) {
    // Before 2.30 a given host skips the scheduler's checks; the body has no force key, so the caller must opt in.
    throw new TroubleshooterError(
      'Unsupported',
      `Before compute microversion 2.30 a target host bypasses the scheduler; pass force to do that anyway (cloud speaks "${mv}").`,
    );
  }
  return { 'os-migrateLive': body };
}

/** The cold `migrate` action: `{"migrate": null}`, or with a target host from 2.56. */
export function coldMigrateBody(mv: string, host?: string): { migrate: null | { host: string } } {
  if (host === undefined || host === '') return { migrate: null };
  if (!/^[A-Za-z0-9._-]+$/.test(host)) throw new TroubleshooterError('InvalidInput', `Not a valid compute host name: "${host}".`);
  if (!mvAtLeast(mv, '2.56')) {
    throw new TroubleshooterError('Unsupported', `Cold migration to a chosen host needs compute microversion 2.56, the cloud speaks "${mv}".`);
  }
  return { migrate: { host } };
}

export type ServiceUpdate =
  | { action: 'disable'; reason?: string }
  | { action: 'enable' }
  | { action: 'force-down'; down: boolean };

/**
 * `PUT /os-services/…` for enable/disable/force-down. From 2.53: `PUT /os-services/{uuid}` with a status body;
 * before: `PUT /os-services/{disable|disable-log-reason|enable|force-down}` with host+binary in the body.
 */
export function serviceUpdateRequest(
  mv: string,
  service: { id?: string; host: string; binary: string },
  update: ServiceUpdate,
): { path: string; body: Record<string, unknown> } {
  if (update.action === 'force-down' && !mvAtLeast(mv, '2.11')) {
    throw new TroubleshooterError('Unsupported', `Forcing a service down needs compute microversion 2.11, the cloud speaks "${mv}".`);
  }
  if (mvAtLeast(mv, '2.53')) {
    if (!service.id) throw new TroubleshooterError('InvalidInput', `The service "${service.binary}" on "${service.host}" has no id.`);
    const path = `/os-services/${encodeURIComponent(service.id)}`;
    switch (update.action) {
      case 'disable':
        return { path, body: update.reason ? { status: 'disabled', disabled_reason: update.reason } : { status: 'disabled' } };
      case 'enable':
        return { path, body: { status: 'enabled' } };
      case 'force-down':
        return { path, body: { forced_down: update.down } };
    }
  }
  const base = { host: service.host, binary: service.binary };
  switch (update.action) {
    case 'disable':
      return update.reason
        ? { path: '/os-services/disable-log-reason', body: { ...base, disabled_reason: update.reason } }
        : { path: '/os-services/disable', body: base };
    case 'enable':
      return { path: '/os-services/enable', body: base };
    case 'force-down':
      return { path: '/os-services/force-down', body: { ...base, forced_down: update.down } };
  }
}
