import { TroubleshooterError } from '../errors';
import { validateHostname } from '../remote/validate';

/**
 * OpenStack host names (a compute service's `host`, an agent's `host`, `OS-EXT-SRV-ATTR:host`) → SSH target
 * aliases, per cloud. Order: an explicit map entry, then the template, then the same name (so an ssh config alias
 * named like the host just works, which is the lab's case). The alias is then resolved by ssh-config.ts.
 */
export interface HostMapSettings {
  /** e.g. "{host}.mgmt" or "{short}-oob.example.org"; `{host}` = full name, `{short}` = up to the first dot. */
  template?: string;
  /** Explicit entries win: `{ "cmp-0042": "compute42-bastioned" }`. Keys compare case-insensitively. */
  map?: Record<string, string>;
}

/** Settings per cloud name (clouds.yaml key); `*` applies to clouds without their own entry. */
export type HostMapConfig = Record<string, HostMapSettings>;

export interface MappedHost {
  /** The OpenStack host name, validated. */
  openstackHost: string;
  /** The alias to resolve through the ssh config. */
  sshAlias: string;
  /** Which rule produced it (shown in tooltips and logs). */
  via: 'map' | 'template' | 'same-name';
}

const TEMPLATE_TOKEN = /\{(host|short)\}/g;

/** Maps one OpenStack host name for `cloud`. Throws InvalidInput for a malformed host name or template. */
export function mapHost(openstackHost: string, cloud: string, config: HostMapConfig = {}): MappedHost {
  const host = validateHostname(openstackHost);
  const settings = config[cloud] ?? config['*'] ?? {};
  const explicit = settings.map && Object.entries(settings.map).find(([k]) => k.toLowerCase() === host.toLowerCase());
  if (explicit) return { openstackHost: host, sshAlias: checkAlias(explicit[1], `map entry for "${host}"`), via: 'map' };
  if (settings.template) {
    if (!/\{(host|short)\}/.test(settings.template)) {
      throw new TroubleshooterError('ConfigInvalid', `Host template of cloud "${cloud}" has no {host} or {short}: "${settings.template}".`, { subject: cloud });
    }
    const alias = settings.template.replace(TEMPLATE_TOKEN, (_, t: string) => (t === 'host' ? host : host.split('.')[0]));
    return { openstackHost: host, sshAlias: checkAlias(alias, `host template of cloud "${cloud}"`), via: 'template' };
  }
  return { openstackHost: host, sshAlias: host, via: 'same-name' };
}

function checkAlias(alias: string, what: string): string {
  if (!alias || /[\s\0'"`$;|&<>\\]/.test(alias) || alias.startsWith('-')) {
    throw new TroubleshooterError('ConfigInvalid', `The ${what} gives an invalid SSH host "${alias}".`);
  }
  return alias;
}
