/** Parsers for `ip -d addr show`, `ip route show` and `ip rule show` as printed by iproute2 (text form). */

export interface IpInterface {
  index: number;
  name: string;
  /** The peer after `@` (`if12`, `NONE`), if any. */
  link?: string;
  flags: string[];
  mtu?: number;
  state?: string;
  mac?: string;
  /** Link kind from `-d` (`veth`, `vxlan`, `bridge`, `openvswitch`…), when printed. */
  kind?: string;
  addresses: { family: 'inet' | 'inet6'; cidr: string; scope?: string }[];
}

const LINK_KINDS = new Set(['veth', 'vxlan', 'bridge', 'bridge_slave', 'openvswitch', 'openvswitch_slave', 'tun', 'dummy', 'vlan', 'macvlan', 'geneve', 'gre', 'ipip', 'bond', 'team']);

export function parseIpAddr(stdout: string): IpInterface[] {
  const out: IpInterface[] = [];
  let cur: IpInterface | undefined;
  for (const line of stdout.split('\n')) {
    const head = /^(\d+):\s+([^:@\s]+)(?:@(\S+?))?:\s+<([^>]*)>(.*)$/.exec(line);
    if (head) {
      const rest = head[5];
      cur = {
        index: Number(head[1]),
        name: head[2],
        link: head[3],
        flags: head[4] ? head[4].split(',') : [],
        mtu: /\bmtu (\d+)/.exec(rest) ? Number(/\bmtu (\d+)/.exec(rest)![1]) : undefined,
        state: /\bstate (\S+)/.exec(rest)?.[1],
        addresses: [],
      };
      out.push(cur);
      continue;
    }
    if (!cur) continue;
    const t = line.trim();
    const link = /^link\/\S+\s+([0-9a-f:]{17})/.exec(t);
    if (link) {
      cur.mac = link[1];
      continue;
    }
    const addr = /^(inet6?)\s+(\S+)(?:.*?\bscope (\S+))?/.exec(t);
    if (addr) {
      cur.addresses.push({ family: addr[1] as 'inet' | 'inet6', cidr: addr[2], scope: addr[3] });
      continue;
    }
    const first = t.split(/\s+/)[0];
    if (!cur.kind && LINK_KINDS.has(first)) cur.kind = first;
  }
  return out;
}

export interface IpRoute {
  /** `default`, a CIDR, or an address. */
  destination: string;
  via?: string;
  dev?: string;
  table?: string;
  src?: string;
  text: string;
}

export function parseIpRoute(stdout: string): IpRoute[] {
  const out: IpRoute[] = [];
  for (const raw of stdout.split('\n')) {
    const text = raw.trim();
    if (!text) continue;
    const words = text.split(/\s+/);
    let i = 0;
    if (['unicast', 'local', 'broadcast', 'multicast', 'blackhole', 'unreachable', 'prohibit', 'throw'].includes(words[0])) i = 1;
    const field = (k: string) => {
      const j = words.indexOf(k);
      return j >= 0 ? words[j + 1] : undefined;
    };
    out.push({ destination: words[i] ?? '', via: field('via'), dev: field('dev'), table: field('table'), src: field('src'), text });
  }
  return out;
}

export interface IpRule {
  priority: number;
  selector: string;
  table?: string;
  text: string;
}

export function parseIpRule(stdout: string): IpRule[] {
  const out: IpRule[] = [];
  for (const raw of stdout.split('\n')) {
    const m = /^(\d+):\s+(.*)$/.exec(raw.trim());
    if (!m) continue;
    const lookup = /\blookup (\S+)/.exec(m[2]);
    out.push({ priority: Number(m[1]), selector: m[2].replace(/\s*lookup \S+.*$/, ''), table: lookup?.[1], text: raw.trim() });
  }
  return out;
}
