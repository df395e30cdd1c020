import { TroubleshooterError } from '../errors';
import { parseIptablesSave, type IptablesSave } from '../namespaces/iptables';
import type { RemoteCommand } from '../remote/command';

/**
 * Remote command builders for the checks: argv + parser, nothing runs here. Every value that comes from the API or
 * the user (addresses, names, paths, ports, ids) is validated before it becomes an argument; shell snippets are
 * constants that receive their inputs as positional parameters ("$1"…), never by interpolation.
 */

// ---------------------------------------------------------------- validation

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_-]{1,63})*\.?$/;
const IPV4 = /^(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const IPV6 = /^[0-9A-Fa-f:]+(?:%[A-Za-z0-9_.-]+)?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ABS_PATH = /^\/[A-Za-z0-9._+@,:=/-]*$/;
const DOMAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

function invalid(what: string, v: string): never {
  throw new TroubleshooterError('InvalidInput', `Not a valid ${what}: "${v.slice(0, 80)}".`);
}

export function validHost(v: string): string {
  if (IPV4.test(v) || (v.includes(':') && IPV6.test(v)) || HOSTNAME.test(v)) return v;
  return invalid('host name or address', v);
}
export function validPort(p: number): string {
  if (!Number.isInteger(p) || p < 1 || p > 65535) invalid('port', String(p));
  return String(p);
}
export function validPath(p: string): string {
  if (!ABS_PATH.test(p) || p.split('/').includes('..')) invalid('absolute path', p);
  return p;
}
export function validUuid(v: string): string {
  if (!UUID.test(v)) invalid('UUID', v);
  return v;
}
export function validDomainName(v: string): string {
  if (!DOMAIN_NAME.test(v)) invalid('libvirt domain name', v);
  return v;
}
export function isIpAddress(v: string): boolean {
  return IPV4.test(v) || (v.includes(':') && IPV6.test(v));
}

/** argv of `sh -c <constant script> sh <args…>`: the script sees the args as "$@" and never re-parses them. */
function script(body: string, args: string[] = []): string[] {
  return ['sh', '-c', body, 'sh', ...args];
}

// ---------------------------------------------------------------- probe (exit code + output)

export interface ProbeResult {
  /** Exit status of the probed command (124 when `timeout` stopped it). */
  rc: number;
  /** stdout and stderr together, trimmed. */
  output: string;
}

const RC_MARK = '@@ost-rc=';

/** Runs argv and reports its exit status and combined output instead of failing on a non-zero status. */
export function probe(argv: string[], opts: { sudo?: boolean; timeoutMs?: number } = {}): RemoteCommand<ProbeResult> {
  return {
    argv: script(`"$@" 2>&1; echo "${RC_MARK}$?"`, argv),
    sudo: opts.sudo,
    timeoutMs: opts.timeoutMs,
    parse: parseProbe,
  };
}

export function parseProbe(stdout: string): ProbeResult {
  const i = stdout.lastIndexOf(RC_MARK);
  if (i < 0) return { rc: -1, output: stdout.trim() };
  const rc = Number.parseInt(stdout.slice(i + RC_MARK.length), 10);
  return { rc: Number.isNaN(rc) ? -1 : rc, output: stdout.slice(0, i).trim() };
}

// ---------------------------------------------------------------- processes

export interface ProcessInfo {
  pid: number;
  /** Seconds since the process started. */
  elapsedSeconds: number;
  args: string;
  argv: string[];
}

export interface ProcessTable {
  /** The host's clock (epoch seconds) when ps ran: start time = now − elapsed. */
  now: number;
  processes: ProcessInfo[];
}

/**
 * `date +%s`, this shell's network namespace, then `ps -eww -o pid=,netns=,etimes=,args=` (full command lines).
 * Only processes of the shell's own network namespace are kept: the host's daemons, not those of containers or
 * neutron namespaces (and, on a lab where hosts are namespaces of one machine, not those of the other hosts).
 */
export function processTable(): RemoteCommand<ProcessTable> {
  return {
    argv: script('echo "$(date +%s) $(readlink /proc/$$/ns/net)"; ps -eww -o pid=,netns=,etimes=,args='),
    timeoutMs: 15_000,
    parse: parseProcessTable,
  };
}

export function parseProcessTable(stdout: string): ProcessTable {
  const lines = stdout.split('\n');
  const [nowText, nsText] = (lines[0] ?? '').trim().split(/\s+/);
  const now = Number.parseInt(nowText ?? '', 10);
  const ownNs = /\[(\d+)\]/.exec(nsText ?? '')?.[1];
  const processes: ProcessInfo[] = [];
  for (const line of lines.slice(1)) {
    const m = /^\s*(\d+)\s+(\d+|-)\s+(\d+)\s+(.+)$/.exec(line);
    if (!m) continue;
    if (ownNs && m[2] !== '-' && m[2] !== ownNs) continue;
    const args = m[4].trim();
    processes.push({ pid: Number(m[1]), elapsedSeconds: Number(m[3]), args, argv: args.split(/\s+/) });
  }
  return { now: Number.isNaN(now) ? 0 : now, processes };
}

/** Processes whose executable (argv[0] basename, or a python script name) matches `name`. Kernel threads excluded. */
export function findProcesses(table: ProcessTable, name: RegExp): ProcessInfo[] {
  return table.processes.filter((p) => {
    if (p.args.startsWith('[')) return false;
    const exe = p.argv[0].split('/').pop() ?? '';
    if (name.test(exe)) return true;
    // python3 /usr/bin/nova-compute …, or a wrapper "bash …/nova-compute"
    if (/^(?:python[\d.]*|bash|sh)$/.test(exe)) {
      const script = p.argv.slice(1).find((a) => !a.startsWith('-'));
      return script !== undefined && name.test(script.split('/').pop() ?? '');
    }
    return false;
  });
}

/** Values of `--flag X` / `--flag=X` in a command line, in order. */
export function argValues(argv: readonly string[], flag: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === flag && i + 1 < argv.length) out.push(argv[++i]);
    else if (argv[i].startsWith(`${flag}=`)) out.push(argv[i].slice(flag.length + 1));
  }
  return out;
}

// ---------------------------------------------------------------- sockets

export interface Listener {
  proto: 'tcp' | 'udp';
  address: string;
  port: number;
  /** Process names from `users:(("libvirtd",pid=…))` (empty without root). */
  processes: string[];
  pids: number[];
}

/** `ss -Hltnp` (TCP listeners) or `ss -Hlunp` (UDP sockets), with owning processes (needs root). */
export function listeners(proto: 'tcp' | 'udp'): RemoteCommand<Listener[]> {
  return {
    argv: ['ss', '-H', proto === 'tcp' ? '-ltnp' : '-lunp'],
    sudo: true,
    timeoutMs: 15_000,
    parse: (s) => parseSs(s, proto),
  };
}

export function parseSs(stdout: string, proto: 'tcp' | 'udp'): Listener[] {
  const out: Listener[] = [];
  for (const line of stdout.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 5 || cols[0] === 'State' || cols[0] === 'Netid') continue;
    // State Recv-Q Send-Q Local Peer [Process]; UDP may print UNCONN.
    const local = cols[3];
    const m = /^(.*):(\d+|\*)$/.exec(local);
    if (!m || m[2] === '*') continue;
    const address = m[1].replace(/^\[|\]$/g, '').replace(/%.*$/, '');
    const rest = cols.slice(5).join(' ');
    const processes = [...rest.matchAll(/\("([^"]+)",pid=(\d+)/g)];
    out.push({
      proto,
      address,
      port: Number(m[2]),
      processes: [...new Set(processes.map((p) => p[1]))],
      pids: [...new Set(processes.map((p) => Number(p[2])))],
    });
  }
  return out;
}

// ---------------------------------------------------------------- systemd

export interface UnitStates {
  /** False when the host does not run systemd (no /run/systemd/system). */
  systemd: boolean;
  /** unit → active | inactive | failed | activating | unknown … */
  states: Record<string, string>;
}

const UNIT = /^[A-Za-z0-9@._:-]+\.(?:service|socket)$/;

/** `systemctl is-active <units>` when systemd runs; prints "@@nosystemd" otherwise. */
export function unitStates(units: string[]): RemoteCommand<UnitStates> {
  for (const u of units) if (!UNIT.test(u)) invalid('systemd unit', u);
  return {
    argv: script('if [ -d /run/systemd/system ]; then systemctl is-active "$@"; true; else echo @@nosystemd; fi', units),
    timeoutMs: 15_000,
    parse: (s) => parseUnitStates(s, units),
  };
}

export function parseUnitStates(stdout: string, units: string[]): UnitStates {
  if (stdout.includes('@@nosystemd')) return { systemd: false, states: {} };
  const lines = stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  const states: Record<string, string> = {};
  units.forEach((u, i) => (states[u] = lines[i] ?? 'unknown'));
  return { systemd: true, states };
}

/** `systemctl show -p LimitNOFILE -p DropInPaths -p FragmentPath <unit>`, or no systemd. */
export function unitShow(unit: string, props: string[]): RemoteCommand<{ systemd: boolean; props: Record<string, string> }> {
  if (!UNIT.test(unit)) invalid('systemd unit', unit);
  for (const p of props) if (!/^[A-Za-z]+$/.test(p)) invalid('systemd property', p);
  return {
    argv: script('if [ -d /run/systemd/system ]; then u=$1; shift; for p; do systemctl show -p "$p" "$u"; done; else echo @@nosystemd; fi', [unit, ...props]),
    timeoutMs: 15_000,
    parse: (s) => {
      if (s.includes('@@nosystemd')) return { systemd: false, props: {} };
      const out: Record<string, string> = {};
      for (const line of s.split('\n')) {
        const i = line.indexOf('=');
        if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
      }
      return { systemd: true, props: out };
    },
  };
}

// ---------------------------------------------------------------- files

export interface RemoteFile {
  path: string;
  exists: boolean;
  /** Modification time, epoch seconds. */
  mtime?: number;
  content?: string;
}

const FILE_MARK = '@@ost-file ';

/**
 * Reads files (and every `*.conf`/`*.ini`/`*.cnf` in paths ending with "/"), each with its mtime. Missing or
 * unreadable files come back with `exists: false`; the command itself does not fail.
 */
export function readFiles(paths: string[], opts: { sudo?: boolean } = {}): RemoteCommand<RemoteFile[]> {
  for (const p of paths) validPath(p);
  const body = [
    'emit() { if [ -f "$1" ] && [ -r "$1" ]; then printf \'' + FILE_MARK + '%s %s\\n\' "$(stat -c %Y "$1")" "$1"; cat "$1"; printf \'\\n\'; else printf \'' + FILE_MARK + '- %s\\n\' "$1"; fi; }',
    'for f; do case "$f" in */) for g in "$f"*.conf "$f"*.ini "$f"*.cnf; do [ -e "$g" ] && emit "$g"; done ;; *) emit "$f" ;; esac; done; true',
  ].join('\n');
  return { argv: script(body, paths), sudo: opts.sudo, timeoutMs: 20_000, parse: parseFiles };
}

export function parseFiles(stdout: string): RemoteFile[] {
  const out: RemoteFile[] = [];
  let cur: RemoteFile | undefined;
  let buf: string[] = [];
  const flush = () => {
    if (cur && cur.exists) cur.content = buf.join('\n').replace(/\n$/, '');
    buf = [];
  };
  for (const line of stdout.replace(/\n$/, '').split('\n')) {
    if (line.startsWith(FILE_MARK)) {
      flush();
      const m = /^(\S+) (.*)$/.exec(line.slice(FILE_MARK.length));
      if (!m) continue;
      cur = m[1] === '-' ? { path: m[2], exists: false } : { path: m[2], exists: true, mtime: Number(m[1]) };
      out.push(cur);
    } else if (cur) buf.push(line);
  }
  flush();
  return out;
}

// ---------------------------------------------------------------- name resolution and reachability

export interface Resolution {
  name: string;
  addresses: string[];
}

/**
 * `getent ahosts <name>`: getaddrinfo() as nova and libvirt call it (nsswitch: /etc/hosts, then DNS). Not
 * `getent hosts`, which asks for IPv6 first and waits for DNS timeouts when only an IPv4 entry exists.
 */
export function resolveName(name: string): RemoteCommand<Resolution> {
  validHost(name);
  return {
    argv: script('getent ahosts "$1"; true', [name]),
    timeoutMs: 10_000,
    parse: (s) => ({ name, addresses: [...new Set(s.split('\n').map((l) => l.trim().split(/\s+/)[0]).filter((a) => a && isIpAddress(a)))] }),
  };
}

/** A TCP connect from this host to addr:port within 3 s (bash's /dev/tcp): rc 0 open, 1 refused/unreachable, 124 timeout. */
export function tcpProbe(address: string, port: number): RemoteCommand<ProbeResult> {
  return probe(['timeout', '3', 'bash', '-c', 'exec 3<>"/dev/tcp/$1/$2"', 'tcp-probe', validHost(address), validPort(port)], { timeoutMs: 10_000 });
}

/** `virsh -c <uri> version`: the real libvirt client connecting the way nova's source compute does. */
export function virshRemoteVersion(uri: string): RemoteCommand<ProbeResult> {
  if (!/^qemu\+(?:tcp|tls|ssh):\/\/[A-Za-z0-9.:[\]_@-]+\/system(?:\?[A-Za-z0-9=&/._-]*)?$/.test(uri)) invalid('libvirt URI', uri);
  return probe(['timeout', '10', 'virsh', '-c', uri, 'version'], { timeoutMs: 20_000 });
}

/**
 * Listens once on a TCP port of this host for up to `seconds` (python3, which every nova host has) and prints
 * "listening", then "accepted" when a connection arrived or "timeout". Used to test the migration port range from
 * the source without touching the firewall.
 */
export function listenOnce(port: number, seconds: number): RemoteCommand<ProbeResult> {
  const py = [
    'import socket,sys',
    's=socket.socket(socket.AF_INET6 if ":" in sys.argv[2] else socket.AF_INET)',
    's.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)',
    's.bind((sys.argv[2],int(sys.argv[1])))',
    's.listen(1)',
    's.settimeout(float(sys.argv[3]))',
    'print("listening",flush=True)',
    'try:\n c,a=s.accept()\n print("accepted",a[0])\nexcept socket.timeout:\n print("timeout")',
  ].join('\n');
  return probe(['timeout', String(seconds + 3), 'python3', '-c', py, validPort(port), '0.0.0.0', String(seconds)], {
    timeoutMs: (seconds + 10) * 1000,
  });
}

// ---------------------------------------------------------------- shared instances_path (nova's method)

export const SHARED_TEST_PREFIX = '.ost-shared-check.';

/** Creates an empty temp file in `dir` (on the destination, as nova does) and prints its path. */
export function createSharedTestFile(dir: string): RemoteCommand<string> {
  return {
    argv: ['mktemp', '-p', validPath(dir), `${SHARED_TEST_PREFIX}XXXXXX`],
    sudo: true,
    timeoutMs: 10_000,
    parse: (s) => {
      const p = s.trim();
      if (!p.startsWith(dir.replace(/\/$/, '') + '/' + SHARED_TEST_PREFIX)) throw new TroubleshooterError('CommandFailed', `mktemp printed an unexpected path: "${p}".`);
      return p;
    },
  };
}

/** Whether `path` exists on this host (the source's half of nova's shared-storage test). */
export function fileExists(path: string): RemoteCommand<boolean> {
  return { argv: script('if [ -e "$1" ]; then echo yes; else echo no; fi', [validPath(path)]), sudo: true, timeoutMs: 10_000, parse: (s) => s.trim() === 'yes' };
}

/** Removes a file this check created (only ever a shared-test file). */
export function removeSharedTestFile(path: string): RemoteCommand<void> {
  validPath(path);
  if (!(path.split('/').pop() ?? '').startsWith(SHARED_TEST_PREFIX)) invalid('shared-test file', path);
  return { argv: ['rm', '-f', '--', path], sudo: true, timeoutMs: 10_000, parse: () => undefined };
}

// ---------------------------------------------------------------- firewall

/** `iptables-save [-t table]` of the host (needs root); an empty dump when iptables is not installed. */
export function iptablesSave(table?: 'nat' | 'filter' | 'mangle'): RemoteCommand<IptablesSave> {
  const argv = table ? ['iptables-save', '-t', table] : ['iptables-save'];
  return {
    argv: script('if command -v iptables-save >/dev/null 2>&1; then "$@"; else echo @@noiptables; fi', argv),
    sudo: true,
    timeoutMs: 15_000,
    parse: (s) => {
      if (s.includes('@@noiptables')) throw new TroubleshooterError('NotFound', 'iptables-save is not installed.');
      return parseIptablesSave(s);
    },
  };
}

// ---------------------------------------------------------------- VXLAN links

export interface VxlanLink {
  name: string;
  vni?: number;
  dstport?: number;
  local?: string;
  dev?: string;
  group?: string;
}

/** `ip -d link show type vxlan`: the kernel's VXLAN devices with their UDP destination port. */
export function vxlanLinks(): RemoteCommand<VxlanLink[]> {
  return { argv: ['ip', '-d', 'link', 'show', 'type', 'vxlan'], timeoutMs: 10_000, parse: parseVxlanLinks };
}

export function parseVxlanLinks(stdout: string): VxlanLink[] {
  const out: VxlanLink[] = [];
  let cur: VxlanLink | undefined;
  for (const line of stdout.split('\n')) {
    const head = /^\d+:\s+([^:@\s]+)(?:@[^:\s]+)?:/.exec(line);
    if (head) {
      cur = { name: head[1] };
      out.push(cur);
    }
    if (!cur) continue;
    const vx = /\bvxlan\s+id\s+(\d+)(.*)$/.exec(line);
    if (vx) {
      cur.vni = Number(vx[1]);
      const rest = vx[2];
      const port = /\bdstport\s+(\d+)/.exec(rest);
      if (port) cur.dstport = Number(port[1]);
      const local = /\blocal\s+(\S+)/.exec(rest);
      if (local) cur.local = local[1];
      const dev = /\bdev\s+(\S+)/.exec(rest);
      if (dev) cur.dev = dev[1];
      const group = /\b(?:group|remote)\s+(\S+)/.exec(rest);
      if (group) cur.group = group[1];
    }
  }
  return out;
}

// ---------------------------------------------------------------- MySQL / MariaDB

/** `mysql -NBe "SHOW GLOBAL VARIABLES WHERE Variable_name IN (…)"` over the local socket (root via unix_socket). */
export function mysqlVariables(names: string[]): RemoteCommand<Record<string, string>> {
  for (const n of names) if (!/^[a-z_]+$/.test(n)) invalid('MySQL variable name', n);
  const sql = `SHOW GLOBAL VARIABLES WHERE Variable_name IN (${names.map((n) => `'${n}'`).join(',')})`;
  return { argv: ['mysql', '-NB', '-e', sql], sudo: true, timeoutMs: 15_000, parse: parseTabPairs };
}

/** `mysql -NBe "SHOW GLOBAL STATUS …"` for Max_used_connections, Threads_connected. */
export function mysqlStatus(names: string[]): RemoteCommand<Record<string, string>> {
  for (const n of names) if (!/^[A-Za-z_]+$/.test(n)) invalid('MySQL status name', n);
  const sql = `SHOW GLOBAL STATUS WHERE Variable_name IN (${names.map((n) => `'${n}'`).join(',')})`;
  return { argv: ['mysql', '-NB', '-e', sql], sudo: true, timeoutMs: 15_000, parse: parseTabPairs };
}

export function parseTabPairs(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const i = line.indexOf('\t');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

/**
 * The options mysqld reads from its option files (`my_print_defaults`), e.g. `--max_connections=4096`.
 * With `defaultsFile` (a --defaults-file of the running server) only that file is read, as mysqld does.
 */
export function myPrintDefaults(defaultsFile?: string): RemoteCommand<Record<string, string>> {
  const argv = ['my_print_defaults'];
  if (defaultsFile) argv.push(`--defaults-file=${validPath(defaultsFile)}`);
  argv.push('mysqld', 'server', 'mariadb', 'mariadbd');
  return {
    argv: script('if command -v my_print_defaults >/dev/null 2>&1; then "$@"; else echo @@missing; fi', argv),
    sudo: true,
    timeoutMs: 15_000,
    parse: (s) => {
      const out: Record<string, string> = {};
      for (const line of s.split('\n')) {
        const m = /^--([A-Za-z0-9_-]+)(?:=(.*))?$/.exec(line.trim());
        if (m) out[m[1].replace(/-/g, '_')] = m[2] ?? '';
      }
      return out;
    },
  };
}

/** `grep -rnE '^\s*<option>\s*=' <dirs/files>`: where an option is set, as file:line:text. */
export function grepOption(option: string, paths: string[]): RemoteCommand<{ file: string; line: number; text: string }[]> {
  if (!/^[a-z_]+$/.test(option)) invalid('option name', option);
  for (const p of paths) validPath(p);
  const pattern = `^[[:space:]]*${option.replace(/_/g, '[_-]')}[[:space:]]*=`;
  return {
    argv: script('p=$1; shift; grep -rnE --include=*.cnf --include=*.conf --include=*.ini -- "$p" "$@" 2>/dev/null; true', [pattern, ...paths]),
    sudo: true,
    timeoutMs: 15_000,
    parse: (s) =>
      s
        .split('\n')
        .map((l) => /^([^:]+):(\d+):(.*)$/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => ({ file: m[1], line: Number(m[2]), text: m[3].trim() })),
  };
}

export interface ProcLimits {
  /** "Max open files" soft/hard ("unlimited" → Infinity). */
  openFiles?: { soft: number; hard: number };
  raw: string;
}

/** `/proc/<pid>/limits` of a running process. */
export function procLimits(pid: number): RemoteCommand<ProcLimits> {
  if (!Number.isInteger(pid) || pid < 1) invalid('pid', String(pid));
  return { argv: ['cat', `/proc/${pid}/limits`], sudo: true, timeoutMs: 10_000, parse: parseProcLimits };
}

export function parseProcLimits(stdout: string): ProcLimits {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(stdout);
  const num = (v: string) => (v === 'unlimited' ? Infinity : Number(v));
  return { openFiles: m ? { soft: num(m[1]), hard: num(m[2]) } : undefined, raw: stdout.trim() };
}

/** The last lines of a log file that contain a fixed string (grep runs on the host). */
export function grepLog(file: string, fixed: string, maxLines = 5): RemoteCommand<string[]> {
  validPath(file);
  if (!/^[A-Za-z0-9 _:.-]{1,80}$/.test(fixed)) invalid('search text', fixed);
  return {
    argv: script('grep -hF -- "$1" "$2" 2>/dev/null | tail -n "$3"; true', [fixed, file, String(maxLines)]),
    sudo: true,
    timeoutMs: 15_000,
    parse: (s) => s.split('\n').map((l) => l.trimEnd()).filter(Boolean),
  };
}

// ---------------------------------------------------------------- libvirt domains and cgroups

/** `virsh -c qemu:///system <args>` as a probe (the output is XML or text, the rc says whether it worked). */
export function virsh(args: string[]): RemoteCommand<ProbeResult> {
  for (const a of args) if (!/^[A-Za-z0-9_.:=/-]+$/.test(a)) invalid('virsh argument', a);
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
  validDomainName(domain);
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
