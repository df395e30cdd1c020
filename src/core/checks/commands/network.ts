import { TroubleshooterError } from '../../errors';
import { parseIptablesSave, type IptablesSave } from '../../namespaces/iptables';
import type { RemoteCommand } from '../../remote/command';
import { invalidArgument, isIpAddress, validateHostOrAddress, validatePort } from '../../remote/validate';
import { probe, script, type ProbeResult } from './script';

/**
 * Remote command builders for the checks (argv + parser, nothing runs here): sockets, name resolution, reachability probes, the firewall and VXLAN links. Every value that comes from
 * the API or the user is validated (core/remote/validate.ts) before it becomes an argument; shell snippets are constants that
 * receive their inputs as positional parameters ("$1"…), never by interpolation.
 */

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
  validateHostOrAddress(name);
  return {
    argv: script('getent ahosts "$1"; true', [name]),
    timeoutMs: 10_000,
    parse: (s) => ({ name, addresses: [...new Set(s.split('\n').map((l) => l.trim().split(/\s+/)[0]).filter((a) => a && isIpAddress(a)))] }),
  };
}

/** A TCP connect from this host to addr:port within 3 s (bash's /dev/tcp): rc 0 open, 1 refused/unreachable, 124 timeout. */
export function tcpProbe(address: string, port: number): RemoteCommand<ProbeResult> {
  return probe(['timeout', '3', 'bash', '-c', 'exec 3<>"/dev/tcp/$1/$2"', 'tcp-probe', validateHostOrAddress(address), validatePort(port)], { timeoutMs: 10_000 });
}

/** `virsh -c <uri> version`: the real libvirt client connecting the way nova's source compute does. */
export function virshRemoteVersion(uri: string): RemoteCommand<ProbeResult> {
  if (!/^qemu\+(?:tcp|tls|ssh):\/\/[A-Za-z0-9.:[\]_@-]+\/system(?:\?[A-Za-z0-9=&/._-]*)?$/.test(uri)) invalidArgument('libvirt URI', uri);
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
  return probe(['timeout', String(seconds + 3), 'python3', '-c', py, validatePort(port), '0.0.0.0', String(seconds)], {
    timeoutMs: (seconds + 10) * 1000,
  });
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
