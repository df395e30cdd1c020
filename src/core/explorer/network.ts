import type { FloatingIp, NetworkAgent, Router } from '../openstack/types';
import { contextValue } from './servers';

/** Pure presentation logic for routers, L3 agents and floating IPs. */

export type NetworkBackend =
  | { kind: 'l3-agents'; agentModes: string[] }
  | { kind: 'ovn'; reason: string }
  | { kind: 'none'; reason: string };

/**
 * Which dataplane hosts the routers. ML2/OVN has no qrouter-/snat-/qdhcp- namespaces: routing and NAT are
 * OpenFlow in ovn-controller (neutron doc/source/ovn/faq), so a namespace tree must say so instead of being empty.
 */
export function detectNetworkBackend(agents: NetworkAgent[] | undefined): NetworkBackend {
  if (agents === undefined) {
    return { kind: 'none', reason: 'The agent list is not visible to this user (listing Neutron agents needs the admin role), so the hosting L3 agents and their namespaces cannot be shown.' };
  }
  const l3 = agents.filter((a) => a.agentType === 'L3 agent' || a.binary === 'neutron-l3-agent');
  if (l3.length) return { kind: 'l3-agents', agentModes: [...new Set(l3.map((a) => a.agentMode ?? 'legacy'))] };
  if (agents.some((a) => a.mechanism === 'ovn' || /^OVN /.test(a.agentType))) {
    return {
      kind: 'ovn',
      reason: 'This cloud uses ML2/OVN: routers are logical routers in the OVN northbound database, and routing and NAT run as OpenFlow rules in ovn-controller on each chassis — there are no qrouter-, snat- or qdhcp- namespaces (metadata runs in ovnmeta- namespaces). Inspect NAT with "ovn-nbctl lr-nat-list".',
    };
  }
  return { kind: 'none', reason: 'No L3 agent is registered with Neutron: routers exist only as API objects, so no host has their namespaces.' };
}

export function routerDescription(r: Router): string {
  const parts = [r.status ?? ''];
  if (r.ha) parts.push('HA');
  if (r.distributed) parts.push('DVR');
  const gw = r.externalGatewayInfo?.externalFixedIps[0]?.ipAddress;
  if (gw) parts.push(`gw ${gw}`);
  return parts.filter(Boolean).join(' · ');
}

export function routerContextValue(r: Router): string {
  return contextValue('router', r.status ?? 'unknown', { ha: r.ha, distributed: r.distributed, gateway: !!r.externalGatewayInfo });
}

export function agentDescription(a: NetworkAgent): string {
  return [a.alive ? 'alive' : 'DEAD', a.haState ? `ha ${a.haState}` : '', a.agentMode ?? '', a.adminStateUp === false ? 'admin down' : '']
    .filter(Boolean)
    .join(' · ');
}

export function agentContextValue(a: NetworkAgent): string {
  return contextValue('l3agent', a.alive ? 'alive' : 'dead', { active: a.haState === 'active', standby: a.haState === 'standby' });
}

/**
 * For an HA router only the `active` agent carries the qg-/qr- addresses and the NAT rules; standby agents
 * have the namespace but not the addresses. Agents sorted: active first, then alive, then by host.
 */
export function sortAgents(agents: NetworkAgent[]): NetworkAgent[] {
  const rank = (a: NetworkAgent) => (a.haState === 'active' ? 0 : a.haState == null ? 1 : 2) + (a.alive ? 0 : 3);
  return [...agents].sort((a, b) => rank(a) - rank(b) || a.host.localeCompare(b.host));
}

export function floatingIpDescription(f: FloatingIp): string {
  return [f.status ?? '', f.fixedIpAddress ? `→ ${f.fixedIpAddress}` : 'not associated'].filter(Boolean).join(' · ');
}

export function floatingIpContextValue(f: FloatingIp): string {
  return contextValue('floatingip', f.status ?? 'unknown', { associated: !!f.portId, routed: !!f.routerId });
}
