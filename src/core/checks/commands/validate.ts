import { TroubleshooterError } from '../../errors';

/**
 * Validators of the values the check commands receive (host names, addresses, ports, paths, ids): each returns
 * the value, so they compose in argv literals, or throws InvalidInput.
 */

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_-]{1,63})*\.?$/;
const IPV4 = /^(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const IPV6 = /^[0-9A-Fa-f:]+(?:%[A-Za-z0-9_.-]+)?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ABS_PATH = /^\/[A-Za-z0-9._+@,:=/-]*$/;
const DOMAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

export function invalid(what: string, v: string): never {
  throw new TroubleshooterError('InvalidInput', `Not a valid ${what}: "${v.slice(0, 80)}".`);
}

export function validHost(v: string): string {
  if (IPV4.test(v) || (v.includes(':') && IPV6.test(v)) || HOSTNAME.test(v)) return v;
  return invalid('host name or address', v);
}
export function validPort(p: number): string {
  if (!Number.isInteger(p) || p < 1 || p > 65535) invalid('port', String(p));
  return String(p);
}
export function validPath(p: string): string {
  if (!ABS_PATH.test(p) || p.split('/').includes('..')) invalid('absolute path', p);
  return p;
}
export function validUuid(v: string): string {
  if (!UUID.test(v)) invalid('UUID', v);
  return v;
}
export function validDomainName(v: string): string {
  if (!DOMAIN_NAME.test(v)) invalid('libvirt domain name', v);
  return v;
}
export function isIpAddress(v: string): boolean {
  return IPV4.test(v) || (v.includes(':') && IPV6.test(v));
}
