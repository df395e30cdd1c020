import type { RemoteFile } from '../commands/files';
import { findProcesses, type ProcessInfo } from '../commands/processes';
import { reasonOf, valueOf } from '../gather';
import { finding, skipped, type Finding, type Fix } from '../types';
import { compareVersions, formatHypervisorVersion, parseCapabilities, parseDomainCapabilities, parseVirshVersion, type Capabilities, type DomainCapabilities } from '../virsh';
import type { ComputeHostFacts, LiveMigrationFacts } from './facts';
import { capitalize, hostSkip, iso } from './item-text';
import { l2AgentProcess, novaConf, novaMigrationSettings } from './views';

/** Checklist items about the compute hosts themselves: services, hypervisor, CPU, VNC, capacity, changed config (pure). */

export function servicesItem(f: LiveMigrationFacts): Finding {
  const title = 'Compute services up, enabled, not forced down';
  const services = valueOf(f.services);
  if (!services) return skipped('services', title, `Skipped: ${reasonOf(f.services)}`);
  const evidence: string[] = [];
  const problems: string[] = [];
  const commands: { command: string }[] = [];
  for (const host of [f.source, f.target]) {
    const s = services.find((x) => x.binary === 'nova-compute' && x.host === host);
    if (!s) {
      problems.push(`no nova-compute service on "${host}"`);
      continue;
    }
    evidence.push(`nova-compute@${host}: state ${s.state ?? '?'}, status ${s.status}${s.forcedDown ? ', forced down' : ''}${s.disabledReason ? `, disabled reason "${s.disabledReason}"` : ''}, updated ${s.updatedAt ?? '?'}`);
    if (s.state !== 'up') problems.push(`nova-compute on "${host}" is ${s.state ?? 'in an unknown state'}`);
    if (s.status !== 'enabled') {
      problems.push(`nova-compute on "${host}" is disabled${s.disabledReason ? ` ("${s.disabledReason}")` : ''}`);
      commands.push({ command: `openstack compute service set --enable ${host} nova-compute` });
    }
    if (s.forcedDown) {
      problems.push(`nova-compute on "${host}" is forced down`);
      commands.push({ command: `openstack compute service set --up ${host} nova-compute` });
    }
  }
  if (problems.length === 0) return finding('services', title, 'pass', 'Both nova-compute services are up and enabled.', evidence, undefined, [f.source, f.target]);
  return finding('services', title, 'fail', `${capitalize(problems.join('; '))}.`, evidence, {
    text: 'Nova refuses to migrate to or from a compute service that is down, disabled or forced down (conductor _check_host_is_up and the scheduler\'s ComputeFilter). Start the service, or enable it once maintenance is over.',
    commands,
  }, [f.source, f.target]);
}

export function hypervisorItem(f: LiveMigrationFacts, src?: ComputeHostFacts, dst?: ComputeHostFacts): Finding {
  const title = 'Hypervisor type and version';
  const hvs = valueOf(f.hypervisors);
  if (!hvs) return skipped('hypervisor', title, `Skipped: ${reasonOf(f.hypervisors)}`);
  const a = hvs.find((h) => h.service?.host === f.source);
  const b = hvs.find((h) => h.service?.host === f.target);
  if (!a || !b) return skipped('hypervisor', title, `Skipped: no hypervisor record for "${!a ? f.source : f.target}".`);
  const evidence = [
    `API ${f.source}: ${a.hypervisorType} ${a.hypervisorVersion !== undefined ? `${a.hypervisorVersion} (${formatHypervisorVersion(a.hypervisorVersion)})` : '?'}`,
    `API ${f.target}: ${b.hypervisorType} ${b.hypervisorVersion !== undefined ? `${b.hypervisorVersion} (${formatHypervisorVersion(b.hypervisorVersion)})` : '?'}`,
  ];
  const va = parseVirshVersion(valueOf(src?.virshVersion)?.output ?? '');
  const vb = parseVirshVersion(valueOf(dst?.virshVersion)?.output ?? '');
  if (va.library || vb.library) {
    evidence.push(`virsh ${f.source}: libvirt ${va.library ?? '?'}, ${va.hypervisor ?? 'hypervisor'} ${va.hypervisorVersion ?? '?'}`);
    evidence.push(`virsh ${f.target}: libvirt ${vb.library ?? '?'}, ${vb.hypervisor ?? 'hypervisor'} ${vb.hypervisorVersion ?? '?'}`);
  }
  const drv = [src, dst].map((h) => novaMigrationSettings(novaConf(h)).computeDriver).filter(Boolean);
  if (drv.length) evidence.push(`compute_driver: ${[...new Set(drv)].join(', ')}`);
  const hosts = [f.source, f.target];
  if (a.hypervisorType !== b.hypervisorType) {
    return finding('hypervisor', title, 'fail', `The hypervisor types differ ("${a.hypervisorType}" on "${f.source}", "${b.hypervisorType}" on "${f.target}"): nova refuses (InvalidHypervisorType).`, evidence, { text: 'Live migration only works between hosts of the same hypervisor type; pick a target of the same type.' }, hosts);
  }
  if (a.hypervisorVersion !== undefined && b.hypervisorVersion !== undefined && a.hypervisorVersion > b.hypervisorVersion) {
    return finding('hypervisor', title, 'fail', `The target's hypervisor is older (${formatHypervisorVersion(b.hypervisorVersion)} < ${formatHypervisorVersion(a.hypervisorVersion)}): nova refuses (DestinationHypervisorTooOld).`, evidence, {
      text: `Upgrade qemu/libvirt on "${f.target}" to at least the source's version, or migrate to a host that is not older. ([workarounds] skip_hypervisor_version_check_on_lm exists but hides a real risk.)`,
    }, hosts);
  }
  if (va.hypervisorVersion && vb.hypervisorVersion && compareVersions(va.hypervisorVersion, vb.hypervisorVersion) > 0) {
    return finding('hypervisor', title, 'fail', `QEMU on the target is older (${vb.hypervisorVersion} < ${va.hypervisorVersion}): a guest cannot move to an older QEMU.`, evidence, { text: `Upgrade QEMU on "${f.target}" (or migrate to a host with the same or a newer QEMU).` }, hosts);
  }
  const diffs: string[] = [];
  if (a.hypervisorVersion !== b.hypervisorVersion) diffs.push('hypervisor_version');
  if (va.library && vb.library && va.library !== vb.library) diffs.push(`libvirt (${va.library} vs ${vb.library})`);
  if (va.hypervisorVersion && vb.hypervisorVersion && va.hypervisorVersion !== vb.hypervisorVersion) diffs.push(`QEMU (${va.hypervisorVersion} vs ${vb.hypervisorVersion})`);
  if (diffs.length) {
    return finding('hypervisor', title, 'warn', `Same type, target not older, but versions differ: ${diffs.join(', ')}.`, evidence, {
      text: 'Nova accepts a newer target, but mixed qemu/libvirt package versions are where migrations fail in practice (machine types, CPU flags); keep compute hosts on the same packages.',
    }, hosts);
  }
  return finding('hypervisor', title, 'pass', `Both hosts run ${a.hypervisorType} at the same version.`, evidence, undefined, hosts);
}

export function cpuItem(f: LiveMigrationFacts, src?: ComputeHostFacts, dst?: ComputeHostFacts): Finding {
  const id = 'cpu';
  const title = 'CPU compatibility';
  const capsOut = (h?: ComputeHostFacts) => (h?.capabilities.ok && h.capabilities.value.rc === 0 ? h.capabilities.value.output : undefined);
  const dcOut = (h?: ComputeHostFacts) => (h?.domCapabilities.ok && h.domCapabilities.value.rc === 0 ? h.domCapabilities.value.output : undefined);
  const ca = capsOut(src);
  const cb = capsOut(dst);
  if (!ca || !cb) {
    const which = !ca ? src : dst;
    const o = !ca ? src?.capabilities : dst?.capabilities;
    const why = o?.ok ? `virsh capabilities failed: ${o.value.output.split('\n')[0]}` : reasonOf(o);
    return skipped(id, title, `Skipped: ${why}`, [which?.host ?? (!ca ? f.source : f.target)]);
  }
  let a: Capabilities, b: Capabilities;
  let da: DomainCapabilities | undefined, db: DomainCapabilities | undefined;
  try {
    a = parseCapabilities(ca);
    b = parseCapabilities(cb);
    const xa = dcOut(src);
    const xb = dcOut(dst);
    da = xa ? parseDomainCapabilities(xa) : undefined;
    db = xb ? parseDomainCapabilities(xb) : undefined;
  } catch (e) {
    return skipped(id, title, `Skipped: ${(e as Error).message}`);
  }
  const ns = novaMigrationSettings(novaConf(src));
  const nd = novaMigrationSettings(novaConf(dst));
  const mode = ns.cpuMode ?? (ns.virtType === 'qemu' ? 'none' : 'host-model');
  const evidence = [
    `${f.source}: ${a.cpu.arch} ${a.cpu.vendor ?? ''} ${a.cpu.model ?? ''}, ${a.cpu.features.length} features${a.cpu.signature ? `, family ${a.cpu.signature.family} model ${a.cpu.signature.model}` : ''}`,
    `${f.target}: ${b.cpu.arch} ${b.cpu.vendor ?? ''} ${b.cpu.model ?? ''}, ${b.cpu.features.length} features${b.cpu.signature ? `, family ${b.cpu.signature.family} model ${b.cpu.signature.model}` : ''}`,
    `nova [libvirt] cpu_mode: ${ns.cpuMode ?? `(unset: ${mode})`} on ${f.source}, ${nd.cpuMode ?? '(unset)'} on ${f.target}; cpu_models: ${ns.cpuModels.join(',') || '-'} / ${nd.cpuModels.join(',') || '-'}`,
  ];
  if (da?.hostModel) evidence.push(`host-model guest CPU on ${f.source}: ${da.hostModel.model} + ${da.hostModel.features.length} features`);
  if (db?.hostModel) evidence.push(`host-model guest CPU on ${f.target}: ${db.hostModel.model} + ${db.hostModel.features.length} features`);
  const hosts = [f.source, f.target];
  const cpuFix = (text: string): Fix => ({ text, links: ['https://docs.openstack.org/nova/latest/admin/cpu-models.html'] });
  if (a.cpu.arch && b.cpu.arch && a.cpu.arch !== b.cpu.arch) {
    return finding(id, title, 'fail', `Different architectures (${a.cpu.arch} vs ${b.cpu.arch}).`, evidence, cpuFix('Live migration needs the same CPU architecture.'), hosts);
  }
  if ((ns.cpuMode ?? '') !== (nd.cpuMode ?? '') || ns.cpuModels.join(',') !== nd.cpuModels.join(',')) {
    return finding(id, title, 'warn', 'nova\'s cpu_mode/cpu_models differ between the hosts: guests started on one host may not be acceptable on the other.', evidence, cpuFix('Use the same [libvirt] cpu_mode and cpu_models on every compute host of a migration domain (for mixed generations: cpu_mode = custom with the oldest model).'), hosts);
  }
  if (mode === 'custom') {
    const unusable = nd.cpuModels.length && db ? ns.cpuModels.filter((m) => db!.customModels.find((x) => x.name === m)?.usable === 'no') : [];
    if (unusable.length) {
      return finding(id, title, 'fail', `cpu_models ${unusable.join(', ')} not usable on "${f.target}" (domcapabilities usable='no').`, evidence, cpuFix(`Choose a cpu_models entry that every host can run (check "virsh domcapabilities" on "${f.target}").`), hosts);
    }
    return finding(id, title, 'pass', `cpu_mode = custom (${ns.cpuModels.join(', ') || 'no model'}): the guest CPU is fixed and usable on the target.`, evidence, undefined, hosts);
  }
  if (mode === 'none') return finding(id, title, 'pass', 'No CPU model is exposed (cpu_mode none / virt_type qemu): nothing CPU-specific to match.', evidence, undefined, hosts);
  if (a.cpu.vendor && b.cpu.vendor && a.cpu.vendor !== b.cpu.vendor) {
    return finding(id, title, 'fail', `CPU vendors differ (${a.cpu.vendor} vs ${b.cpu.vendor}): ${mode} guests cannot move.`, evidence, cpuFix('Use cpu_mode = custom with a model both vendors run, or migrate within one vendor.'), hosts);
  }
  // The guest's CPU is the source's host-model (or the host CPU itself for host-passthrough): all of its features
  // must exist on the target, and for host-model its named base model must be usable there.
  if (mode === 'host-model' && da?.hostModel?.model && db?.hostModel?.model && da.hostModel.model !== db.hostModel.model) {
    const usable = db.customModels.find((x) => x.name === da.hostModel!.model)?.usable;
    if (usable === 'no') {
      return finding(id, title, 'fail', `Guests on "${f.source}" get the CPU model ${da.hostModel.model} (host-model), which "${f.target}" cannot run (its host-model is ${db.hostModel.model}; domcapabilities usable='no').`, evidence, cpuFix(`Migrate to a host with the same CPU generation, or set cpu_mode = custom with cpu_models = ${db.hostModel.model} (the older model) on every host.`), hosts);
    }
  }
  const guestFeatures = mode === 'host-passthrough' ? a.cpu.features : (da?.hostModel?.features ?? a.cpu.features);
  const targetFeatures = new Set(mode === 'host-passthrough' ? b.cpu.features : [...(db?.hostModel?.features ?? []), ...b.cpu.features]);
  const missing = guestFeatures.filter((x) => !targetFeatures.has(x));
  if (missing.length) {
    return finding(id, title, 'fail', `The target lacks CPU features the guest uses (${mode}): ${missing.slice(0, 12).join(', ')}${missing.length > 12 ? ` and ${missing.length - 12} more` : ''}.`, evidence, cpuFix(`Migrate to a host with the same or a newer CPU, or use cpu_mode = custom with a model older hosts run (e.g. the model of "${f.target}").`), hosts);
  }
  if (mode === 'host-passthrough' && (a.cpu.model !== b.cpu.model || a.cpu.signature?.model !== b.cpu.signature?.model || a.cpu.microcode !== b.cpu.microcode)) {
    return finding(id, title, 'warn', 'host-passthrough: the CPU models, steppings or microcode differ; nova\'s docs require identical hosts for passthrough.', evidence, cpuFix('Keep host-passthrough only for identical hosts; otherwise use host-model or a custom model.'), hosts);
  }
  const ma = mode === 'host-model' ? (da?.hostModel?.model ?? a.cpu.model) : a.cpu.model;
  const mb = mode === 'host-model' ? (db?.hostModel?.model ?? b.cpu.model) : b.cpu.model;
  if (ma !== mb) {
    return finding(id, title, 'warn', `Different CPU models (${ma} on "${f.source}", ${mb} on "${f.target}"); the target has every feature of the guest CPU, but host-model is "not always possible in both directions".`, evidence, cpuFix('For hosts of mixed generations use cpu_mode = custom with the oldest model on every host.'), hosts);
  }
  return finding(id, title, 'pass', `Same CPU model ${ma} (${a.cpu.vendor ?? 'vendor unknown'}); the target has every feature of the guest CPU (${mode}).`, evidence, undefined, hosts);
}

export function vncItem(f: LiveMigrationFacts, src?: ComputeHostFacts, dst?: ComputeHostFacts): Finding {
  const title = '[vnc] server_listen';
  if (!src?.novaFiles.ok) return hostSkip('vnc', title, src, src?.novaFiles, f.source);
  const s = novaMigrationSettings(novaConf(src)).vncServerListen ?? '127.0.0.1';
  const d = dst?.novaFiles.ok ? novaMigrationSettings(novaConf(dst)).vncServerListen ?? '127.0.0.1' : undefined;
  const ok = (v: string) => ['0.0.0.0', '::', '127.0.0.1', '::1', 'localhost'].includes(v);
  const evidence = [`${f.source}: server_listen = ${s}`, ...(d ? [`${f.target}: server_listen = ${d}`] : [])];
  if (ok(s) && (d === undefined || ok(d))) return finding('vnc', title, 'pass', `server_listen is ${s === d || !d ? `"${s}"` : `"${s}" / "${d}"`}: a wildcard or loopback address the target can bind.`, evidence, undefined, [f.source, f.target]);
  return finding('vnc', title, 'fail', `server_listen is a host address ("${ok(s) ? d : s}"): the guest's VNC listen address travels with it and the target cannot bind it.`, evidence, {
    text: 'Set [vnc] server_listen = 0.0.0.0 (or leave the default 127.0.0.1 behind a proxy) on every compute host and restart nova-compute.',
  }, [f.source, f.target]);
}

export function capacityItem(f: LiveMigrationFacts): Finding {
  const title = 'Capacity on the target (Placement)';
  const cap = f.capacity;
  if (!cap.ok) return skipped('capacity', title, `Skipped: ${cap.reason}`, [f.target]);
  if (!cap.value) return finding('capacity', title, 'fail', `Placement has no resource provider for "${f.target}".`, [], { text: 'nova-compute creates its provider at start-up; check the service and nova-compute\'s log.' }, [f.target]);
  const flavor = f.server?.flavor;
  const free = cap.value.free;
  const evidence = Object.entries(cap.value.inventories).map(([rc, inv]) => `${rc}: total ${inv.total}, reserved ${inv.reserved}, ratio ${inv.allocationRatio}, used ${cap.value!.usages[rc] ?? 0}, free ${Math.floor(free[rc] ?? 0)}`);
  if (!flavor || flavor.vcpus === undefined) return finding('capacity', title, 'pass', `Free on "${f.target}": ${Object.entries(free).map(([k, v]) => `${k} ${Math.floor(v)}`).join(', ')} (no flavor to compare).`, evidence, undefined, [f.target]);
  const need: Record<string, number> = { VCPU: flavor.vcpus ?? 0, MEMORY_MB: flavor.ramMb ?? 0, DISK_GB: (flavor.diskGb ?? 0) + (flavor.ephemeralGb ?? 0) + Math.ceil((flavor.swapMb ?? 0) / 1024) };
  evidence.unshift(`flavor ${flavor.name ?? flavor.id ?? ''}: ${need.VCPU} VCPU, ${need.MEMORY_MB} MB RAM, ${need.DISK_GB} GB disk`);
  const short = Object.entries(need).filter(([rc, n]) => n > 0 && rc in cap.value!.inventories && (free[rc] ?? 0) < n);
  if (short.length) {
    return finding('capacity', title, 'fail', `Not enough ${short.map(([rc, n]) => `${rc} (needs ${n}, free ${Math.floor(free[rc] ?? 0)})`).join(', ')} on "${f.target}".`, evidence, { text: 'Pick another target, free resources on this one, or raise the allocation ratio if overcommit is intended.' }, [f.target]);
  }
  return finding('capacity', title, 'pass', `"${f.target}" has room for the flavor (${Object.entries(need).map(([k, v]) => `${k} ${v}/${Math.floor(free[k] ?? 0)} free`).join(', ')}).`, evidence, undefined, [f.target]);
}

export function configChangedItem(f: LiveMigrationFacts, hosts: (ComputeHostFacts | undefined)[]): Finding {
  const title = 'Configuration changed since the service started';
  const stale: string[] = [];
  const evidence: string[] = [];
  let looked = false;
  for (const h of hosts) {
    if (!h) continue;
    const table = valueOf(h.processes);
    if (!table) continue;
    const pairs: [ProcessInfo | undefined, RemoteFile[] | undefined, string][] = [
      [findProcesses(table, /^nova-compute$/)[0], valueOf(h.novaFiles), 'nova-compute'],
      [findProcesses(table, /^libvirtd$/)[0], valueOf(h.libvirtFiles)?.filter((x) => /libvirtd\.conf$|qemu\.conf$|\/libvirtd$/.test(x.path)), 'libvirtd'],
      [l2AgentProcess(table), valueOf(h.agentFiles), 'the L2 agent'],
    ];
    for (const [proc, files, name] of pairs) {
      if (!proc || !files) continue;
      looked = true;
      const startedAt = table.now - proc.elapsedSeconds;
      for (const file of files) {
        if (!file.exists || file.mtime === undefined) continue;
        if (file.mtime > startedAt) {
          stale.push(`${h.host}: ${file.path} (changed ${iso(file.mtime)}, ${name} started ${iso(startedAt)})`);
        }
      }
      evidence.push(`${h.host}: ${name} pid ${proc.pid} started ${iso(startedAt)}`);
    }
  }
  if (!looked) return skipped('config-changed', title, 'Skipped: no process or file facts.', [f.source, f.target]);
  if (stale.length) {
    return finding('config-changed', title, 'warn', `${stale.length} config file${stale.length > 1 ? 's were' : ' was'} changed after its service started; the running service does not use the change yet.`, [...stale, ...evidence], {
      text: 'Restart the service to apply the change (or revert the file if the change was not meant to be applied).',
    }, [f.source, f.target]);
  }
  return finding('config-changed', title, 'pass', 'Every config file is older than the service that reads it.', evidence, undefined, [f.source, f.target]);
}
