import { mvAtLeast } from '../openstack/microversion';
import type { ComputeService, Hypervisor, ProviderCapacity } from '../openstack/types';
import { contextValue } from './servers';

/** Pure presentation logic for hypervisors and compute services. */

export interface CapacityLine {
  resource: 'VCPU' | 'MEMORY_MB' | 'DISK_GB';
  label: string;
  used: number;
  /** Usable total (for Placement: (total − reserved) × allocation_ratio). */
  total: number;
  /** Where the numbers come from. */
  source: 'nova' | 'placement';
}

/** True when hypervisor detail still carries vcpus/memory_mb/local_gb (≤2.87); from 2.88 use Placement. */
export function hypervisorStatsInApi(microversion: string | undefined): boolean {
  return microversion === undefined || !mvAtLeast(microversion, '2.88');
}

export function capacityFromHypervisor(h: Hypervisor): CapacityLine[] {
  const s = h.stats;
  if (!s || s.vcpus === undefined) return [];
  return [
    { resource: 'VCPU', label: 'vCPUs', used: s.vcpusUsed ?? 0, total: s.vcpus ?? 0, source: 'nova' },
    { resource: 'MEMORY_MB', label: 'RAM (MiB)', used: s.memoryMbUsed ?? 0, total: s.memoryMb ?? 0, source: 'nova' },
    { resource: 'DISK_GB', label: 'Disk (GiB)', used: s.localGbUsed ?? 0, total: s.localGb ?? 0, source: 'nova' },
  ];
}

export function capacityFromPlacement(c: ProviderCapacity): CapacityLine[] {
  const out: CapacityLine[] = [];
  const labels: Record<CapacityLine['resource'], string> = { VCPU: 'vCPUs', MEMORY_MB: 'RAM (MiB)', DISK_GB: 'Disk (GiB)' };
  for (const rc of ['VCPU', 'MEMORY_MB', 'DISK_GB'] as const) {
    const inv = c.inventories[rc];
    if (!inv) continue;
    out.push({
      resource: rc,
      label: labels[rc],
      used: c.usages[rc] ?? 0,
      total: Math.floor((inv.total - inv.reserved) * inv.allocationRatio),
      source: 'placement',
    });
  }
  return out;
}

export function formatCapacity(c: CapacityLine): string {
  const pct = c.total > 0 ? ` (${Math.round((c.used / c.total) * 100)}%)` : '';
  return `${c.used} / ${c.total}${pct}`;
}

/** The compute service of a hypervisor: same host as `service.host` and binary nova-compute. */
export function computeServiceOf(h: Hypervisor, services: ComputeService[]): ComputeService | undefined {
  const host = h.service?.host;
  return services.find((s) => s.binary === 'nova-compute' && (s.id !== undefined && s.id === h.service?.id || s.host === host));
}

/** up / down / forced down, as the compute service reports it. */
export function serviceHealth(s: ComputeService | undefined): 'up' | 'down' | 'forced-down' | 'unknown' {
  if (!s) return 'unknown';
  if (s.forcedDown) return 'forced-down';
  return s.state === 'up' ? 'up' : s.state === 'down' ? 'down' : 'unknown';
}

export function hypervisorDescription(h: Hypervisor, s: ComputeService | undefined): string {
  const parts = [`${h.state ?? '?'} · ${h.status ?? '?'}`];
  const health = serviceHealth(s);
  if (health === 'forced-down') parts.push('forced down');
  const reason = s?.disabledReason ?? h.service?.disabledReason;
  if ((h.status === 'disabled' || s?.status === 'disabled') && reason) parts.push(`"${reason}"`);
  const n = h.servers?.length ?? h.stats?.runningVms;
  if (n !== undefined) parts.push(`${n} instance${n === 1 ? '' : 's'}`);
  return parts.join(' · ');
}

export function hypervisorContextValue(h: Hypervisor, s: ComputeService | undefined): string {
  const disabled = (s?.status ?? h.status) === 'disabled';
  return contextValue('hypervisor', h.state ?? 'unknown', {
    disabled,
    enabled: !disabled,
    forcedDown: serviceHealth(s) === 'forced-down',
    service: s?.id !== undefined || s?.host !== undefined,
  });
}

/** The config files an operator opens on a compute host, in the order shown. */
export const HOST_CONFIG_FILES: { label: string; path: string }[] = [
  { label: 'libvirtd.conf', path: '/etc/libvirt/libvirtd.conf' },
  { label: 'nova.conf', path: '/etc/nova/nova.conf' },
  { label: 'my.cnf', path: '/etc/mysql/my.cnf' },
  { label: 'limits.conf', path: '/etc/security/limits.conf' },
];
