import { TroubleshooterError } from '../errors';
import type { RemoteCommand } from '../remote/command';
import { validateNamespace } from '../remote/validate';
import { parseIpAddr, parseIpRoute, parseIpRule, type IpInterface, type IpRoute, type IpRule } from './ip';
import { parseIptablesSave, type IptablesSave } from './iptables';
import { parseIpNetnsList, parseLsnsJson, type IpNetnsEntry, type LsnsEntry } from './netns';

/**
 * Command builders for a host's network namespaces: argv + parser, run by core/remote. Namespace names are
 * validated before they reach an argv. Root is needed to enter a namespace and to see every process's namespace,
 * so these default to `sudo` (off when the SSH user is root).
 */
export interface NsCommandOptions {
  /** Run through `sudo -n` (default true). */
  sudo?: boolean;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT = 15_000;

export function ipNetnsListCommand(o: NsCommandOptions = {}): RemoteCommand<IpNetnsEntry[]> {
  // Listing /run/netns needs no privilege; sudo only matters where /run/netns is not world-readable.
  return { argv: ['ip', 'netns', 'list'], sudo: o.sudo ?? false, timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT, parse: parseIpNetnsList };
}

/** The lsns columns we read; explicit so that `+NSFS` does not print the column twice (util-linux 2.38). */
export const LSNS_COLUMNS = 'NS,TYPE,NPROCS,PID,NETNSID,NSFS,COMMAND';

export function lsnsNetCommand(o: NsCommandOptions = {}): RemoteCommand<LsnsEntry[]> {
  return {
    argv: ['lsns', '-t', 'net', '-J', '-o', LSNS_COLUMNS],
    sudo: o.sudo ?? true,
    timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT,
    parse: parseLsnsJson,
  };
}

/** `ip netns exec <ns> <argv…>` with the namespace validated. */
export function inNamespace(namespace: string, argv: string[]): string[] {
  return ['ip', 'netns', 'exec', validateNamespace(namespace), ...argv];
}

export interface Captured<T> {
  text: string;
  parsed: T;
}

function captured<T>(argv: string[], parse: (s: string) => T, o: NsCommandOptions): RemoteCommand<Captured<T>> {
  return {
    argv,
    sudo: o.sudo ?? true,
    timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT,
    parse: (text) => ({ text, parsed: parse(text) }),
  };
}

export function ipAddrCommand(namespace: string, o: NsCommandOptions = {}): RemoteCommand<Captured<IpInterface[]>> {
  return captured(['ip', '-n', validateNamespace(namespace), '-d', 'addr', 'show'], parseIpAddr, o);
}

export function ipRouteCommand(namespace: string, o: NsCommandOptions = {}): RemoteCommand<Captured<IpRoute[]>> {
  return captured(['ip', '-n', validateNamespace(namespace), 'route', 'show', 'table', 'all'], parseIpRoute, o);
}

export function ipRuleCommand(namespace: string, o: NsCommandOptions = {}): RemoteCommand<Captured<IpRule[]>> {
  return captured(['ip', '-n', validateNamespace(namespace), 'rule', 'show'], parseIpRule, o);
}

export function iptablesNatCommand(namespace: string, o: NsCommandOptions = {}): RemoteCommand<Captured<IptablesSave>> {
  return captured(inNamespace(namespace, ['iptables-save', '-t', 'nat']), (s) => {
    const save = parseIptablesSave(s);
    if (s.trim() && !save.tables.includes('nat')) {
      throw new TroubleshooterError('CommandFailed', `"iptables-save -t nat" in "${namespace}" printed no nat table.`);
    }
    return save;
  }, o);
}
