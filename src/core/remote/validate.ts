import { TroubleshooterError } from '../errors';

/**
 * THE validators: every value that comes from a user or from an API is checked here before it reaches a command
 * (core/remote/command.ts quotes it, but a wrong host, path or id must fail early and clearly). Each returns the
 * value to use (so they compose in argv literals) or throws InvalidInput with the value quoted.
 *
 * Two families with their own rules and messages, each named for what it validates:
 * - SSH, logs and features (`validateHostname`, `validateAbsolutePath`, `validateUuid`, `validateRequestId`,
 *   `validateNamespace`): `Invalid <what> "<value>".`;
 * - the check commands (core/checks/commands: `validateHostOrAddress`, `validatePort`, `validatePlainAbsolutePath`,
 *   `validateLowercaseUuid`, `validateLibvirtDomainName`, `isIpAddress`, `invalidArgument`): `Not a valid <what>: "<value>".`
 * and the shapes the journeys recognise in API values (`looksLikeRequestId`, `isInstanceName`).
 */

// ---------------------------------------------------------------------------------------------------------------
// SSH targets, paths, ids


/** Throws InvalidInput `Invalid <what> "<value>".` (the value cut at 80 characters, newlines blanked). */
function invalid(what: string, value: string): never {
  const shown = value.length > 80 ? `${value.slice(0, 80)}…` : value;
  throw new TroubleshooterError('InvalidInput', `Invalid ${what} "${shown.replace(/[\r\n]/g, ' ')}".`, { value: shown });
}

const HOST_LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;
const IPV6 = /^[0-9A-Fa-f:.]+(?:%[A-Za-z0-9_.-]+)?$/;

/** A DNS host name (labels of letters, digits, '-' and '_' as OpenStack host names allow), IPv4 or IPv6. */
export function validateHostname(value: string): string {
  if (value.length === 0 || value.length > 253) return invalid('host name', value);
  if (value.includes(':')) {
    if (IPV6.test(value) && value.split(':').length >= 3) return value;
    return invalid('host name', value);
  }
  const labels = value.replace(/\.$/, '').split('.');
  if (!labels.every((l) => HOST_LABEL.test(l))) return invalid('host name', value);
  return value;
}

/** An absolute path without NUL, newlines or `..` segments. Returned normalised (no `//`, no trailing `/`). */
export function validateAbsolutePath(value: string): string {
  if (!value.startsWith('/') || /[\0\r\n]/.test(value) || value.length > 4096) return invalid('absolute path', value);
  const parts = value.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) return invalid('absolute path', value);
  return `/${parts.join('/')}`;
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** A UUID in its dashed form (instance, port, router ids). Returned lower-case. */
export function validateUuid(value: string): string {
  if (!UUID.test(value)) return invalid('UUID', value);
  return value.toLowerCase();
}

/**
 * An OpenStack request id: `req-` + lower-case dashed UUID (oslo.middleware's format; anything else is
 * silently ignored by the services, so it can never match a log line). THE request-id pattern of the project:
 * core/logs (keys, parsers) and the features use it from here.
 */
export const REQUEST_ID_PATTERN = 'req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
export const REQUEST_ID_RE = new RegExp(`^${REQUEST_ID_PATTERN}$`);

/**
 * THE request-id validator. Strict by default (a value from an API or a log line is used as it is); `normalize` for
 * what a user typed or pasted: surrounding blanks dropped and upper case lowered before the check. Returns the
 * value to use; throws InvalidInput quoting the value as given.
 */
export function validateRequestId(value: string, opts: { normalize?: boolean } = {}): string {
  const v = opts.normalize ? value.trim().toLowerCase() : value;
  if (!REQUEST_ID_RE.test(v)) {
    const shown = (value.length > 80 ? `${value.slice(0, 80)}…` : value).replace(/[\r\n\t]/g, ' ');
    throw new TroubleshooterError('InvalidInput',
      `Not a request id (expected req- followed by a UUID, like req-5f2adc28-1772-480e-a35c-c12ec08b94d7): "${shown}".`, { value: shown });
  }
  return v;
}

/** A network namespace name as `ip netns` accepts it (a file name under /run/netns), e.g. `qrouter-<uuid>`. */
export function validateNamespace(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/.test(value) || value === '.' || value === '..') return invalid('namespace name', value);
  return value;
}

// ---------------------------------------------------------------------------------------------------------------
// Check command arguments (core/checks/commands)

const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_-]{1,63})*\.?$/;
const IPV4 = /^(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const IPV6_ADDRESS = /^[0-9A-Fa-f:]+(?:%[A-Za-z0-9_.-]+)?$/;
const LOWERCASE_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PLAIN_ABS_PATH = /^\/[A-Za-z0-9._+@,:=/-]*$/;
const LIBVIRT_DOMAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

/** Throws InvalidInput `Not a valid <what>: "<value>".` (the value cut at 80 characters): the check commands' message. */
export function invalidArgument(what: string, v: string): never {
  throw new TroubleshooterError('InvalidInput', `Not a valid ${what}: "${v.slice(0, 80)}".`);
}

/** A host name (first character a letter or digit) or an IPv4/IPv6 address, as a check command's argument. */
export function validateHostOrAddress(v: string): string {
  if (IPV4.test(v) || (v.includes(':') && IPV6_ADDRESS.test(v)) || HOST_NAME.test(v)) return v;
  return invalidArgument('host name or address', v);
}
/** A TCP/UDP port 1–65535, returned as the argv word. */
export function validatePort(p: number): string {
  if (!Number.isInteger(p) || p < 1 || p > 65535) invalidArgument('port', String(p));
  return String(p);
}
/**
 * An absolute path of plain characters only (letters, digits, `._+@,:=/-`) and no `..` segment, returned unchanged:
 * the check commands' paths (stricter than `validateAbsolutePath`, which takes any character but NUL and newlines).
 */
export function validatePlainAbsolutePath(p: string): string {
  if (!PLAIN_ABS_PATH.test(p) || p.split('/').includes('..')) invalidArgument('absolute path', p);
  return p;
}
/** A lower-case dashed UUID, returned unchanged (`validateUuid` takes either case and lowers it). */
export function validateLowercaseUuid(v: string): string {
  if (!LOWERCASE_UUID.test(v)) invalidArgument('UUID', v);
  return v;
}
/** A libvirt domain name (`instance-0000002a`): letters, digits, `._-`, first a letter or digit, at most 201. */
export function validateLibvirtDomainName(v: string): string {
  if (!LIBVIRT_DOMAIN_NAME.test(v)) invalidArgument('libvirt domain name', v);
  return v;
}
/** True for an IPv4 or IPv6 address (not a name). */
export function isIpAddress(v: string): boolean {
  return IPV4.test(v) || (v.includes(':') && IPV6_ADDRESS.test(v));
}

// ---------------------------------------------------------------------------------------------------------------
// Shapes of API values (core/journeys/log-plan.ts): a test, not a throw

/**
 * Whether an instance action's request id has the shape of one (`req-` + 36 lower-case hex digits and dashes): looser
 * than `REQUEST_ID_RE`; what nova records is used as it is.
 */
export function looksLikeRequestId(v: string): boolean {
  return /^req-[0-9a-f-]{36}$/.test(v);
}

/** Whether a libvirt domain name is nova's default `instance-<8 hex digits>` (OS-EXT-SRV-ATTR:instance_name). */
export function isInstanceName(v: string): boolean {
  return /^instance-[0-9a-f]{8}$/.test(v);
}
