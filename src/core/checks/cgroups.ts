import { inputText, type CheckDefinition } from './definition';
import type { Server } from '../openstack/types';
import { HostRunner, reasonOf, valueOf, type GatherContext, type Outcome } from './gather';
import { readFiles, type RemoteFile } from './commands/files';
import { cgroupFacts, virsh, type CgroupFacts } from './commands/libvirt';
import { findProcesses, processTable, type ProcessTable } from './commands/processes';
import type { ProbeResult } from './commands/script';
import { novaMigrationSettings } from './live-migration/views';
import { parseIni, type Ini } from './ini';
import type { CheckApi } from './ports';
import { finding, overallStatus, skipped, type CheckReport, type Finding } from './types';
import { parseDomainXml, type DomainXml } from './virsh';

/**
 * Instance cgroups: where the guest's qemu process sits (cgroup v1 controllers, or v2 `machine.slice`), and whether
 * the CPU and memory limits there match the libvirt domain XML (`<cputune><shares|quota|period>`, `<memtune>`).
 * Uses libcgroup's tools (lssubsys) where installed; otherwise reads /sys/fs/cgroup directly.
 */

export interface CgroupCheckFacts {
  server: Pick<Server, 'id' | 'name' | 'host' | 'instanceName' | 'status'>;
  host: string;
  processes: Outcome<ProcessTable>;
  novaFiles: Outcome<RemoteFile[]>;
  dumpxml: Outcome<ProbeResult>;
  cgroups: Outcome<CgroupFacts>;
  startedAt: string;
  durationMs: number;
  unreachable: { host: string; reason: string }[];
}

export async function gatherCgroups(api: CheckApi, ctx: GatherContext, server: string): Promise<CgroupCheckFacts> {
  const started = Date.now();
  const t0 = performance.now();
  const run = new HostRunner(ctx);
  const s = await api.getServer(server, ctx.signal);
  const host = s.host ?? '';
  const base = { server: { id: s.id, name: s.name, host: s.host, instanceName: s.instanceName, status: s.status }, host };
  const miss = <T>(why: string): Outcome<T> => ({ ok: false, reason: why });
  if (!host || !s.instanceName) {
    const why = !host ? `"${s.name}" has no host (status ${s.status}; the host is an admin field).` : `"${s.name}" has no instance_name (admin field).`;
    return { ...base, processes: miss(why), novaFiles: miss(why), dumpxml: miss(why), cgroups: miss(why), startedAt: new Date(started).toISOString(), durationMs: 0, unreachable: [] };
  }
  const processes = await run.run(host, 'list processes', processTable());
  const nova = valueOf(processes) ? findProcesses(valueOf(processes)!, /^nova-compute$/)[0] : undefined;
  const novaPaths = nova ? nova.argv.flatMap((a, i, all) => (a === '--config-file' ? [all[i + 1]] : a.startsWith('--config-file=') ? [a.slice(14)] : [])) : ['/etc/nova/nova.conf'];
  const [novaFiles, dumpxml, cgroups] = await Promise.all([
    run.run(host, 'read nova.conf', readFiles(novaPaths, { sudo: true })),
    run.run(host, `virsh dumpxml ${s.instanceName}`, virsh(['dumpxml', s.instanceName])),
    run.run(host, 'read cgroups', cgroupFacts(s.instanceName)),
  ]);
  ctx.progress({ host, message: 'facts gathered', done: true });
  return { ...base, processes, novaFiles, dumpxml, cgroups, startedAt: new Date(started).toISOString(), durationMs: Math.round(performance.now() - t0), unreachable: run.unreachable() };
}

/** libvirt's cgroup v2 weight from v1 shares (vircgroupv2.c: weight = 1 + (shares − 2)·9999/262142). */
export function sharesToWeight(shares: number): number {
  return Math.floor(1 + ((shares - 2) * 9999) / 262142);
}

export function evaluateCgroups(f: CgroupCheckFacts): Finding[] {
  const hosts = f.host ? [f.host] : undefined;
  const title = 'Instance in a libvirt cgroup';
  const ini: Ini = new Map();
  for (const file of valueOf(f.novaFiles) ?? []) if (file.exists && file.content) parseIni(file.content, file.path, ini);
  const driver = novaMigrationSettings(valueOf(f.novaFiles) ? ini : undefined).computeDriver;
  const dx = valueOf(f.dumpxml);
  if (!dx || dx.rc !== 0) {
    const why = dx ? dx.output.split('\n').filter(Boolean).pop() ?? `virsh rc ${dx.rc}` : reasonOf(f.dumpxml);
    const notLibvirt = driver && !/libvirt/i.test(driver);
    return [skipped('domain', title, `Skipped: ${f.server.instanceName ?? 'the instance'} is not a libvirt domain on "${f.host}"${notLibvirt ? ` (compute_driver = ${driver}: nova runs no qemu process, so there is no cgroup to inspect)` : ''}: ${why}`, hosts)];
  }
  let dom: DomainXml;
  try {
    dom = parseDomainXml(dx.output);
  } catch (e) {
    return [skipped('domain', title, `Skipped: ${(e as Error).message}`, hosts)];
  }
  const cg = valueOf(f.cgroups);
  if (!cg) return [skipped('cgroup', title, `Skipped: ${reasonOf(f.cgroups)}`, hosts)];
  const out: Finding[] = [];
  const v2 = cg.fsType === 'cgroup2fs';
  const version = v2 ? 'cgroup v2' : cg.procCgroup.some((l) => l.startsWith('0::')) ? 'cgroup v1/v2 hybrid' : 'cgroup v1';
  const evidence = [`${version}${cg.lssubsys ? ` (lssubsys -am: ${cg.lssubsys.split('\n').length} subsystems)` : ''}`, `qemu pid ${cg.pid ?? '?'}`, ...cg.procCgroup.slice(0, 8).map((l) => `/proc/${cg.pid}/cgroup: ${l}`)];
  if (cg.pid === undefined) {
    out.push(finding('cgroup', title, dom ? 'warn' : 'skip', `The domain ${dom.name} is defined but not running on "${f.host}" (no /run/libvirt/qemu/${dom.name}.pid).`, evidence, undefined, hosts));
    return out;
  }
  const inMachine = cg.procCgroup.some((l) => /machine\.slice|\/machine\b|\/machine\//.test(l));
  out.push(inMachine
    ? finding('cgroup', title, 'pass', `qemu (pid ${cg.pid}) runs in libvirt's machine partition (${version}).`, evidence, undefined, hosts)
    : finding('cgroup', title, 'fail', `qemu (pid ${cg.pid}) is not under machine.slice / /machine: libvirt's CPU and memory limits do not apply to it.`, evidence, { text: 'Check qemu.conf cgroup_controllers and that libvirtd can write /sys/fs/cgroup (on systemd hosts: systemd-machined).' }, hosts));

  // CPU
  const v = cg.values;
  const cpuEv = [`domain: ${dom.vcpus ?? '?'} vCPUs, cputune shares ${dom.cputune.shares ?? '-'}, quota ${dom.cputune.quota ?? '-'}, period ${dom.cputune.period ?? '-'}`, ...Object.entries(v).filter(([k]) => k.startsWith('cpu')).map(([k, x]) => `${k} = ${x}`)];
  if (dom.cputune.shares === undefined) out.push(finding('cpu', 'CPU weight', 'pass', 'The domain sets no cputune shares: the cgroup keeps its default weight.', cpuEv, undefined, hosts));
  else if (v2 && v['cpu.weight'] !== undefined) {
    const want = sharesToWeight(dom.cputune.shares);
    const got = Number(v['cpu.weight']);
    out.push(got === want ? finding('cpu', 'CPU weight', 'pass', `cpu.weight ${got} matches cputune shares ${dom.cputune.shares}.`, cpuEv, undefined, hosts) : finding('cpu', 'CPU weight', 'fail', `cpu.weight is ${got}, but cputune shares ${dom.cputune.shares} means ${want}: the limit was changed behind libvirt's back.`, cpuEv, { text: `Reapply with: virsh schedinfo ${dom.name} --live cpu_shares=${dom.cputune.shares}` }, hosts));
  } else if (v['cpu.shares'] !== undefined) {
    const got = Number(v['cpu.shares']);
    out.push(got === dom.cputune.shares ? finding('cpu', 'CPU weight', 'pass', `cpu.shares ${got} matches the domain XML.`, cpuEv, undefined, hosts) : finding('cpu', 'CPU weight', 'fail', `cpu.shares is ${got}, the domain XML says ${dom.cputune.shares}.`, cpuEv, { text: `Reapply with: virsh schedinfo ${dom.name} --live cpu_shares=${dom.cputune.shares}` }, hosts));
  } else out.push(skipped('cpu', 'CPU weight', 'Skipped: no cpu.weight / cpu.shares readable for the domain.', hosts));

  // Memory
  const memEv = [`domain: memory ${dom.memoryKiB ?? '?'} KiB, memtune hard_limit ${dom.memtune.hardLimitKiB ?? '-'} KiB`, ...Object.entries(v).filter(([k]) => k.startsWith('memory')).map(([k, x]) => `${k} = ${x}`)];
  const raw = v2 ? v['memory.max'] : v['memory.limit_in_bytes'];
  if (dom.memtune.hardLimitKiB === undefined) {
    out.push(finding('memory', 'Memory limit', 'pass', `The domain sets no memtune hard_limit: the cgroup limit is ${raw ?? 'unknown'}${raw === 'max' ? ' (unlimited)' : ''}.`, memEv, undefined, hosts));
  } else if (raw === undefined) out.push(skipped('memory', 'Memory limit', 'Skipped: the memory controller values are not readable.', hosts));
  else {
    const want = dom.memtune.hardLimitKiB * 1024;
    const got = raw === 'max' ? Infinity : Number(raw);
    out.push(got === want ? finding('memory', 'Memory limit', 'pass', `The cgroup memory limit (${got} bytes) matches memtune hard_limit.`, memEv, undefined, hosts) : finding('memory', 'Memory limit', 'fail', `The cgroup memory limit is ${raw}, memtune hard_limit says ${want} bytes.`, memEv, { text: `Reapply with: virsh memtune ${dom.name} --live --hard-limit ${dom.memtune.hardLimitKiB}` }, hosts));
  }
  return out;
}

export function cgroupsReport(f: CgroupCheckFacts): CheckReport {
  const findings = evaluateCgroups(f);
  return {
    kind: 'cgroups',
    title: `Instance cgroups of "${f.server.name}"`,
    subject: { server: `${f.server.name} (${f.server.id})`, host: f.host || '-', domain: f.server.instanceName ?? '-' },
    status: overallStatus(findings),
    findings,
    startedAt: f.startedAt,
    durationMs: f.durationMs,
    unreachable: f.unreachable,
  };
}

/** The cgroups libvirt gave an instance on its host. */
export const cgroupsCheck: CheckDefinition<CgroupCheckFacts> = {
  id: 'cgroups',
  title: 'Check Instance Cgroups',
  command: 'openstack.check.cgroups',
  needsCloud: true,
  inputs: [{ name: 'server', kind: 'server', cli: 'positional', metavar: 'server', required: true }],
  progressTitle: (l) => `Checking cgroups of "${l.server}"`,
  gather: async (api, ctx, i) => [await gatherCgroups(api, ctx, inputText(i, 'server') ?? '')],
  evaluate: evaluateCgroups,
  report: cgroupsReport,
};
