import { bool, idOf, isObj, num, numOrNull, obj, str, strings, strOrNull } from './parse';
import type {
  AgentMechanism,
  FloatingIp,
  Network,
  NetworkAgent,
  Port,
  Router,
  Subnet,
} from './types';

/** Parsers of Neutron's JSON (routers, agents, floating IPs, ports, networks, subnets) to ./types.ts. */

function fixedIps(v: unknown): { subnetId: string; ipAddress: string }[] {
  if (!Array.isArray(v)) return [];
  return v.filter(isObj).map((f) => ({ subnetId: str(f, 'subnet_id') ?? '', ipAddress: str(f, 'ip_address') ?? '' }));
}

export function parseRouter(v: unknown): Router {
  const o = obj(v, 'router');
  const gw = o.external_gateway_info;
  return {
    id: idOf(o, 'id', 'router'),
    name: str(o, 'name') ?? '',
    status: str(o, 'status'),
    adminStateUp: bool(o, 'admin_state_up'),
    projectId: str(o, 'project_id') ?? str(o, 'tenant_id'),
    ha: bool(o, 'ha'),
    distributed: bool(o, 'distributed'),
    externalGatewayInfo: isObj(gw)
      ? { networkId: str(gw, 'network_id') ?? '', enableSnat: bool(gw, 'enable_snat'), externalFixedIps: fixedIps(gw.external_fixed_ips) }
      : gw === null
        ? null
        : undefined,
    availabilityZones: Array.isArray(o.availability_zones) ? strings(o.availability_zones) : undefined,
    flavorId: strOrNull(o, 'flavor_id'),
    raw: o,
  };
}

/** Tells ML2/OVS, Linux bridge and OVN agents apart by `agent_type` (and `binary` as a fallback). */
export function agentMechanism(agentType: string, binary?: string): AgentMechanism {
  const t = agentType.toLowerCase();
  const b = (binary ?? '').toLowerCase();
  if (t.startsWith('ovn') || b.startsWith('ovn') || b.includes('ovn-')) return 'ovn';
  if (t.includes('open vswitch') || b.includes('openvswitch')) return 'ovs';
  if (t.includes('linux bridge') || b.includes('linuxbridge')) return 'linuxbridge';
  if (t.includes('nic switch') || b.includes('sriov')) return 'sriov';
  if (t.includes('macvtap') || b.includes('macvtap')) return 'macvtap';
  if (b === 'neutron-ovn-metadata-agent') return 'ovn';
  return 'other';
}

export function parseAgent(v: unknown): NetworkAgent {
  const o = obj(v, 'agent');
  const conf = isObj(o.configurations) ? o.configurations : {};
  const agentType = str(o, 'agent_type') ?? '';
  const binary = str(o, 'binary');
  return {
    id: idOf(o, 'id', 'agent'),
    agentType,
    binary,
    host: str(o, 'host') ?? '',
    alive: o.alive === true,
    adminStateUp: bool(o, 'admin_state_up'),
    availabilityZone: strOrNull(o, 'availability_zone'),
    topic: str(o, 'topic'),
    heartbeatTimestamp: str(o, 'heartbeat_timestamp'),
    agentMode: typeof conf.agent_mode === 'string' ? conf.agent_mode : undefined,
    haState: 'ha_state' in o ? strOrNull(o, 'ha_state') ?? null : undefined,
    mechanism: agentMechanism(agentType, binary),
    configurations: conf,
    raw: o,
  };
}

export function parseFloatingIp(v: unknown): FloatingIp {
  const o = obj(v, 'floating IP');
  const pd = o.port_details;
  return {
    id: idOf(o, 'id', 'floating IP'),
    floatingIpAddress: str(o, 'floating_ip_address') ?? '',
    fixedIpAddress: strOrNull(o, 'fixed_ip_address'),
    portId: strOrNull(o, 'port_id'),
    routerId: strOrNull(o, 'router_id'),
    floatingNetworkId: str(o, 'floating_network_id') ?? '',
    status: str(o, 'status'),
    projectId: str(o, 'project_id') ?? str(o, 'tenant_id'),
    description: str(o, 'description'),
    portDetails: isObj(pd)
      ? {
          deviceId: str(pd, 'device_id'),
          deviceOwner: str(pd, 'device_owner'),
          networkId: str(pd, 'network_id'),
          macAddress: str(pd, 'mac_address'),
          status: str(pd, 'status'),
        }
      : pd === null
        ? null
        : undefined,
    raw: o,
  };
}

export function parsePort(v: unknown): Port {
  const o = obj(v, 'port');
  return {
    id: idOf(o, 'id', 'port'),
    name: str(o, 'name') ?? '',
    networkId: str(o, 'network_id') ?? '',
    status: str(o, 'status'),
    adminStateUp: bool(o, 'admin_state_up'),
    macAddress: str(o, 'mac_address'),
    deviceId: str(o, 'device_id'),
    deviceOwner: str(o, 'device_owner'),
    fixedIps: fixedIps(o.fixed_ips),
    projectId: str(o, 'project_id') ?? str(o, 'tenant_id'),
    bindingHostId: str(o, 'binding:host_id'),
    bindingVifType: str(o, 'binding:vif_type'),
    bindingVnicType: str(o, 'binding:vnic_type'),
    bindingVifDetails: isObj(o['binding:vif_details']) ? o['binding:vif_details'] : undefined,
    bindingProfile: isObj(o['binding:profile']) ? o['binding:profile'] : undefined,
    securityGroups: Array.isArray(o.security_groups) ? strings(o.security_groups) : undefined,
    raw: o,
  };
}

export function parseNetwork(v: unknown): Network {
  const o = obj(v, 'network');
  return {
    id: idOf(o, 'id', 'network'),
    name: str(o, 'name') ?? '',
    status: str(o, 'status'),
    adminStateUp: bool(o, 'admin_state_up'),
    shared: bool(o, 'shared'),
    external: bool(o, 'router:external'),
    mtu: num(o, 'mtu'),
    projectId: str(o, 'project_id') ?? str(o, 'tenant_id'),
    subnets: strings(o.subnets),
    providerNetworkType: str(o, 'provider:network_type'),
    providerPhysicalNetwork: strOrNull(o, 'provider:physical_network'),
    providerSegmentationId: numOrNull(o, 'provider:segmentation_id'),
    raw: o,
  };
}

export function parseSubnet(v: unknown): Subnet {
  const o = obj(v, 'subnet');
  return {
    id: idOf(o, 'id', 'subnet'),
    name: str(o, 'name') ?? '',
    networkId: str(o, 'network_id') ?? '',
    cidr: str(o, 'cidr') ?? '',
    ipVersion: num(o, 'ip_version') ?? 4,
    gatewayIp: strOrNull(o, 'gateway_ip'),
    enableDhcp: bool(o, 'enable_dhcp'),
    allocationPools: Array.isArray(o.allocation_pools)
      ? o.allocation_pools.filter(isObj).map((p) => ({ start: str(p, 'start') ?? '', end: str(p, 'end') ?? '' }))
      : [],
    projectId: str(o, 'project_id') ?? str(o, 'tenant_id'),
    raw: o,
  };
}
