/**
 * Neutron's namespace names (neutron `agent/l3/namespaces.py`, `dvr_snat_ns.py`, `dvr_fip_ns.py`,
 * `agent/linux/dhcp.py`, `common/ovn/constants.py`): a prefix plus the id of the resource it serves.
 */
export type NamespaceKind = 'qrouter' | 'snat' | 'fip' | 'qdhcp' | 'ovnmeta' | 'other';

export interface NamespaceName {
  kind: NamespaceKind;
  /** Router id (qrouter/snat), external network id (fip), network id (qdhcp/ovnmeta). */
  resourceId?: string;
}

const PREFIXES: [string, NamespaceKind][] = [
  ['qrouter-', 'qrouter'],
  ['snat-', 'snat'],
  ['fip-', 'fip'],
  ['qdhcp-', 'qdhcp'],
  ['ovnmeta-', 'ovnmeta'],
];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function classifyNamespace(name: string): NamespaceName {
  for (const [prefix, kind] of PREFIXES) {
    if (name.startsWith(prefix)) {
      const id = name.slice(prefix.length);
      if (UUID.test(id)) return { kind, resourceId: id.toLowerCase() };
    }
  }
  return { kind: 'other' };
}

/** What each neutron namespace is for, one line (tooltips). */
export const NAMESPACE_PURPOSE: Record<NamespaceKind, string> = {
  qrouter: 'Router namespace of the L3 agent: qr- (internal) and qg- (gateway) ports, floating-IP NAT in iptables.',
  snat: 'DVR SNAT namespace: centralized source NAT of a distributed router (sg- and qg- ports).',
  fip: 'DVR floating-IP namespace: one per external network on each compute (fg- port, rfp-/fpr- pair to the qrouter).',
  qdhcp: 'DHCP namespace of a network: dnsmasq serves DHCP (and metadata) on a tap port.',
  ovnmeta: 'OVN metadata namespace of a network (haproxy for the metadata service).',
  other: 'Not a neutron namespace.',
};

/** Namespaces that serve a router: its qrouter-, its snat-, and the fip- of its external network. */
export function namespacesOfRouter(routerId: string, externalNetworkId?: string): string[] {
  const id = routerId.toLowerCase();
  return [`qrouter-${id}`, `snat-${id}`, ...(externalNetworkId ? [`fip-${externalNetworkId.toLowerCase()}`] : [])];
}
