import type { RemoteCommand } from '../../remote/command';
import { invalidArgument, validateLibvirtDomainName } from '../../remote/validate';
import { probe, script, type ProbeResult } from './script';

/**
 * Remote command builders for the checks (argv + parser, nothing runs here): virsh and the cgroups of a libvirt domain. Every value that comes from
 * the API or the user is validated (core/remote/validate.ts) before it becomes an argument; shell snippets are constants that
 * receive their inputs as positional parameters ("$1"…), never by interpolation.
 */

// ---------------------------------------------------------------- libvirt domains and cgroups

/** `virsh -c qemu:///system <args>` as a probe (the output is XML or text, the rc says whether it worked). */
export function virsh(args: string[]): RemoteCommand<ProbeResult> {
  for (const a of args) if (!/^[A-Za-z0-9_.:=/-]+$/.test(a)) invalidArgument('virsh argument', a);
  return probe(['virsh', '-c', 'qemu:///system', ...args], { sudo: true, timeoutMs: 30_000 });
}

export interface CgroupFacts {
  /** "cgroup2fs" (v2), "tmpfs" (v1 or hybrid). */
  fsType: string;
  /** The domain's qemu pid from /run/libvirt/qemu/<name>.pid, if it runs here. */
  pid?: number;
  /** Lines of /proc/<pid>/cgroup. */
  procCgroup: string[];
  /** Controller file → value, read from the domain's cgroup directory ("cpu.max", "memory.max", "cpu.shares", …). */
  values: Record<string, string>;
  /** Output of `lssubsys -am` when libcgroup tools are installed. */
  lssubsys?: string;
  /** machine.slice (v2) or machine (v1) entries. */
  machineEntries: string[];
}

/**
 * Everything about the cgroups of one libvirt domain in one round trip. v1: reads cpu,cpuacct/memory controller
 * files; v2: the unified hierarchy under the domain's scope. Uses the libcgroup tools (lssubsys) when installed.
 */
export function cgroupFacts(domain: string): RemoteCommand<CgroupFacts> {
  validateLibvirtDomainName(domain);
  const body = [
    'echo "@@fstype $(stat -fc %T /sys/fs/cgroup)"',
    'if command -v lssubsys >/dev/null 2>&1; then echo @@lssubsys; lssubsys -am; fi',
    'echo @@machine; ls -1 /sys/fs/cgroup/machine.slice /sys/fs/cgroup/cpu/machine /sys/fs/cgroup/cpu/machine.slice 2>/dev/null',
    'pf=/run/libvirt/qemu/$1.pid',
    '[ -r "$pf" ] || { echo @@nopid; exit 0; }',
    'pid=$(cat "$pf"); echo "@@pid $pid"; echo @@proccgroup; cat "/proc/$pid/cgroup"',
    'echo @@values',
    'while IFS=: read -r _ ctrl path; do',
    '  path=${path%/emulator}; path=${path%/libvirt}',
    '  if [ -z "$ctrl" ]; then base=/sys/fs/cgroup$path; for f in cpu.max cpu.weight memory.max memory.high cpuset.cpus.effective; do [ -r "$base/$f" ] && echo "$f=$(cat "$base/$f")"; done',
    '  else case "$ctrl" in *cpu,*|cpu|*,cpu) for f in cpu.shares cpu.cfs_quota_us cpu.cfs_period_us; do [ -r "/sys/fs/cgroup/$ctrl$path/$f" ] && echo "$f=$(cat "/sys/fs/cgroup/$ctrl$path/$f")"; done ;; memory) for f in memory.limit_in_bytes memory.soft_limit_in_bytes; do [ -r "/sys/fs/cgroup/memory$path/$f" ] && echo "$f=$(cat "/sys/fs/cgroup/memory$path/$f")"; done ;; esac; fi',
    'done < "/proc/$pid/cgroup"',
    // the loop's status is its last test's: a controller without the file made the whole probe "fail" (exit 1) on a
    // real QEMU process (seen on the lab's libvirt guests: cgroup v1 cpuacct/devices lines end the loop)
    'exit 0',
  ].join('\n');
  return { argv: script(body, [domain]), sudo: true, timeoutMs: 20_000, parse: parseCgroupFacts };
}

export function parseCgroupFacts(stdout: string): CgroupFacts {
  const facts: CgroupFacts = { fsType: '', procCgroup: [], values: {}, machineEntries: [] };
  let section = '';
  const lss: string[] = [];
  for (const line of stdout.split('\n')) {
    if (line.startsWith('@@fstype ')) facts.fsType = line.slice(9).trim();
    else if (line.startsWith('@@pid ')) facts.pid = Number(line.slice(6));
    else if (line.startsWith('@@')) section = line.slice(2).trim();
    else if (!line.trim()) continue;
    else if (section === 'lssubsys') lss.push(line);
    else if (section === 'machine') facts.machineEntries.push(line.trim());
    else if (section === 'proccgroup') facts.procCgroup.push(line.trim());
    else if (section === 'values') {
      const i = line.indexOf('=');
      if (i > 0) facts.values[line.slice(0, i)] = line.slice(i + 1).trim();
    }
  }
  if (lss.length) facts.lssubsys = lss.join('\n');
  return facts;
}
