import { XMLParser } from 'fast-xml-parser';
import { TroubleshooterError } from '../errors';

/**
 * Parsers for `virsh capabilities`, `virsh domcapabilities`, `virsh version` and `virsh dumpxml` output
 * (libvirt's own XML, parsed with fast-xml-parser; attributes keep their names, repeated elements are arrays).
 */

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  textNodeName: '#text',
  parseTagValue: false,
  parseAttributeValue: false,
  isArray: (name, _path, _leaf, isAttribute) => !isAttribute && ['feature', 'mode', 'model', 'uri_transport', 'guest', 'interface', 'graphics', 'disk', 'machine', 'cell'].includes(name),
});

type Node = Record<string, unknown>;

function parseXml(xml: string, root: string): Node {
  let doc: Node;
  try {
    doc = parser.parse(xml) as Node;
  } catch (e) {
    throw new TroubleshooterError('CommandFailed', `Could not parse the libvirt XML (${root}).`, {}, { cause: e });
  }
  const r = doc[root];
  if (!r || typeof r !== 'object') throw new TroubleshooterError('CommandFailed', `The libvirt output has no <${root}> element.`);
  return r as Node;
}

function text(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number') return String(v);
  if (typeof v === 'object' && '#text' in (v as Node)) return String((v as Node)['#text']).trim();
  return undefined;
}
function arr(v: unknown): Node[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).filter((x): x is Node => typeof x === 'object' && x !== null);
}
function first(v: unknown): unknown {
  return Array.isArray(v) ? v[0] : v;
}
function obj(v: unknown): Node | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Node) : undefined;
}

export interface HostCpu {
  arch?: string;
  model?: string;
  vendor?: string;
  /** family/model/stepping from <signature>. */
  signature?: { family?: string; model?: string; stepping?: string };
  microcode?: string;
  features: string[];
  topology?: { sockets?: number; dies?: number; cores?: number; threads?: number };
}

export interface Capabilities {
  uuid?: string;
  cpu: HostCpu;
  liveMigration: boolean;
  uriTransports: string[];
  /** Guest domain types offered (kvm, qemu) per arch. */
  guestDomainTypes: string[];
}

export function parseCapabilities(xml: string): Capabilities {
  const caps = parseXml(xml, 'capabilities');
  const host = obj(caps.host) ?? {};
  const cpu = obj(host.cpu) ?? {};
  const sig = obj(cpu.signature);
  const topo = obj(cpu.topology);
  const mig = obj(host.migration_features);
  const transports = obj(mig?.uri_transports);
  const guestTypes = new Set<string>();
  for (const g of arr(caps.guest)) {
    const a = obj(g.arch);
    for (const d of arr(a?.domain)) if (typeof d.type === 'string') guestTypes.add(d.type);
  }
  const num = (v: unknown) => (v === undefined ? undefined : Number(v));
  return {
    uuid: text(host.uuid),
    cpu: {
      arch: text(cpu.arch),
      model: text(first(cpu.model)),
      vendor: text(cpu.vendor),
      signature: sig ? { family: sig.family as string, model: sig.model as string, stepping: sig.stepping as string } : undefined,
      microcode: (obj(cpu.microcode)?.version as string | undefined) ?? undefined,
      features: arr(cpu.feature).map((f) => String(f.name)).filter(Boolean),
      topology: topo ? { sockets: num(topo.sockets), dies: num(topo.dies), cores: num(topo.cores), threads: num(topo.threads) } : undefined,
    },
    liveMigration: mig !== undefined && 'live' in mig,
    uriTransports: (Array.isArray(transports?.uri_transport) ? transports.uri_transport : []).map((t) => text(t) ?? '').filter(Boolean),
    guestDomainTypes: [...guestTypes],
  };
}

export interface DomainCapabilities {
  /** Emulator path, e.g. /usr/bin/qemu-system-x86_64. */
  path?: string;
  /** kvm or qemu. */
  domain?: string;
  machine?: string;
  arch?: string;
  /** CPU modes libvirt supports for guests here. */
  modes: Record<string, boolean>;
  /** The CPU a host-model guest gets: model, vendor, required features. */
  hostModel?: { model?: string; vendor?: string; features: string[]; disabled: string[] };
  /** Named models for cpu_mode=custom, with usability on this host. */
  customModels: { name: string; usable: 'yes' | 'no' | 'unknown'; vendor?: string }[];
}

export function parseDomainCapabilities(xml: string): DomainCapabilities {
  const dc = parseXml(xml, 'domainCapabilities');
  const cpu = obj(dc.cpu) ?? {};
  const out: DomainCapabilities = {
    path: text(dc.path),
    domain: text(dc.domain),
    machine: text(dc.machine),
    arch: text(dc.arch),
    modes: {},
    customModels: [],
  };
  for (const m of arr(cpu.mode)) {
    const name = String(m.name);
    out.modes[name] = m.supported === 'yes';
    if (name === 'host-model') {
      const feats = arr(m.feature);
      out.hostModel = {
        model: text(first(m.model)),
        vendor: text(m.vendor),
        features: feats.filter((f) => f.policy !== 'disable').map((f) => String(f.name)),
        disabled: feats.filter((f) => f.policy === 'disable').map((f) => String(f.name)),
      };
    } else if (name === 'custom') {
      for (const model of Array.isArray(m.model) ? m.model : m.model !== undefined ? [m.model] : []) {
        const n = text(model);
        if (!n) continue;
        const attrs = obj(model) ?? {};
        const u = attrs.usable;
        out.customModels.push({ name: n, usable: u === 'yes' || u === 'no' ? u : 'unknown', vendor: attrs.vendor as string | undefined });
      }
    }
  }
  return out;
}

export interface VirshVersion {
  /** libvirt library version the client uses, e.g. "9.0.0". */
  library?: string;
  /** Hypervisor name and version: "QEMU", "7.2.22". */
  hypervisor?: string;
  hypervisorVersion?: string;
  daemon?: string;
}

export function parseVirshVersion(out: string): VirshVersion {
  const v: VirshVersion = {};
  const lib = /Using library: libvirt (\S+)/.exec(out);
  if (lib) v.library = lib[1];
  const hv = /Running hypervisor: (\S+) (\S+)/.exec(out);
  if (hv) {
    v.hypervisor = hv[1];
    v.hypervisorVersion = hv[2];
  }
  const d = /Running against daemon: (\S+)/.exec(out);
  if (d) v.daemon = d[1];
  return v;
}

/** Compares dotted versions numerically ("7.2.22" vs "7.10.0"); negative when a < b. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

/** Nova's hypervisor_version integer (major·10⁶ + minor·10³ + micro) as "7.2.22". */
export function formatHypervisorVersion(v: number): string {
  return `${Math.floor(v / 1_000_000)}.${Math.floor((v % 1_000_000) / 1000)}.${v % 1000}`;
}

export interface DomainXml {
  name?: string;
  type?: string;
  vcpus?: number;
  /** KiB */
  memoryKiB?: number;
  cputune: { shares?: number; quota?: number; period?: number };
  memtune: { hardLimitKiB?: number; softLimitKiB?: number };
  /** <resource><partition> (v1 /machine, or a slice). */
  partition?: string;
  cpuMode?: string;
  cpuModel?: string;
}

const UNIT_KIB: Record<string, number> = { b: 1 / 1024, bytes: 1 / 1024, k: 1, kib: 1, kb: 1000 / 1024, m: 1024, mib: 1024, mb: 1e6 / 1024, g: 1024 ** 2, gib: 1024 ** 2, gb: 1e9 / 1024 };

function kib(v: unknown): number | undefined {
  const o = obj(v);
  const t = o ? text(o) : text(v);
  if (t === undefined) return undefined;
  const unit = String((o?.unit as string | undefined) ?? 'KiB').toLowerCase();
  return Math.round(Number(t) * (UNIT_KIB[unit] ?? 1));
}

export function parseDomainXml(xml: string): DomainXml {
  const d = parseXml(xml, 'domain');
  const ct = obj(d.cputune) ?? {};
  const mt = obj(d.memtune) ?? {};
  const cpu = obj(d.cpu);
  const n = (v: unknown) => (text(v) === undefined ? undefined : Number(text(v)));
  return {
    name: text(d.name),
    type: d.type as string | undefined,
    vcpus: n(d.vcpu),
    memoryKiB: kib(d.memory),
    cputune: { shares: n(ct.shares), quota: n(ct.quota), period: n(ct.period) },
    memtune: { hardLimitKiB: kib(mt.hard_limit), softLimitKiB: kib(mt.soft_limit) },
    partition: text(obj(d.resource)?.partition),
    cpuMode: cpu?.mode as string | undefined,
    cpuModel: cpu ? text(first(cpu.model)) : undefined,
  };
}
