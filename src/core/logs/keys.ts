import { TroubleshooterError } from '../errors';
import { REQUEST_ID_PATTERN, validateRequestId } from '../remote/validate';

/**
 * Correlation keys. Every key is validated here, before it can reach a remote command: a request id is `req-` + a
 * lower-case uuid (what oslo.middleware accepts as a global id; the one validator is remote/validate.ts
 * `validateRequestId`), an instance is a uuid, a libvirt domain is `instance-` + 8 hex digits. Anything else is
 * InvalidInput with the value quoted.
 */

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const INSTANCE_NAME_RE = /^instance-[0-9a-f]{8}$/;
/** Finds request ids inside a line. */
export const REQUEST_ID_IN_TEXT = new RegExp(REQUEST_ID_PATTERN, 'g');

export type KeyKind = 'request' | 'instance' | 'instanceName';

export interface CorrelationKey {
  kind: KeyKind;
  value: string;
}

function shown(value: string): string {
  const v = value.replace(/[\r\n\t]/g, ' ');
  return v.length > 80 ? `${v.slice(0, 80)}…` : v;
}

export function validateInstanceUuid(value: string): string {
  const v = value.trim().toLowerCase();
  if (!UUID_RE.test(v)) {
    throw new TroubleshooterError('InvalidInput', `Not an instance UUID: "${shown(value)}".`, { value: shown(value) });
  }
  return v;
}

export function validateInstanceName(value: string): string {
  const v = value.trim();
  if (!INSTANCE_NAME_RE.test(v)) {
    throw new TroubleshooterError('InvalidInput', `Not a libvirt domain name (expected instance-XXXXXXXX): "${shown(value)}".`, {
      value: shown(value),
    });
  }
  return v;
}

/** Validates any key by kind; the one gate before search-command.ts. */
export function validateKey(key: CorrelationKey): CorrelationKey {
  switch (key.kind) {
    case 'request':
      return { kind: 'request', value: validateRequestId(key.value, { normalize: true }) };
    case 'instance':
      return { kind: 'instance', value: validateInstanceUuid(key.value) };
    case 'instanceName':
      return { kind: 'instanceName', value: validateInstanceName(key.value) };
  }
}

/** What the user typed: a request id or an instance uuid (the CLI argument, the command palette input). */
export function parseQueryKey(text: string): CorrelationKey {
  const v = text.trim();
  if (/^req-/i.test(v)) return { kind: 'request', value: validateRequestId(v, { normalize: true }) };
  if (UUID_RE.test(v.toLowerCase())) return { kind: 'instance', value: v.toLowerCase() };
  if (INSTANCE_NAME_RE.test(v)) return { kind: 'instanceName', value: v };
  throw new TroubleshooterError(
    'InvalidInput',
    `Expected a request id (req-<uuid>), an instance UUID or a libvirt domain name (instance-XXXXXXXX), got "${shown(text)}".`,
    { value: shown(text) },
  );
}
