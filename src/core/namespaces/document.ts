import type { IpInterface } from './ip';
import { floatingIpRules, natWiring, RULE_LABEL, type FloatingIpRules, type IptablesSave } from './iptables';
import { NAMESPACE_PURPOSE, classifyNamespace } from './names';
import { explainSighting, type NamespaceSighting } from './netns';

/**
 * The read-only "namespace document": what an operator would type after `ip netns exec qrouter-… `, in one page,
 * with the floating-IP NAT rules of the router marked (`>>` in the margin and listed in the header).
 */

export interface FloatingIpRef {
  floatingIp: string;
  fixedIp?: string | null;
  id?: string;
}

export interface NamespaceDocumentInput {
  host: string;
  namespace: string;
  sighting?: NamespaceSighting;
  router?: { id: string; name?: string };
  floatingIps: FloatingIpRef[];
  addr?: { text: string; parsed: IpInterface[] } | { error: string };
  route?: { text: string } | { error: string };
  rule?: { text: string } | { error: string };
  nat?: { text: string; parsed: IptablesSave } | { error: string };
  /** When the document was captured (ISO). */
  capturedAt: string;
}

export interface RenderedNamespaceDocument {
  text: string;
  /** 0-based lines that are floating-IP NAT rules (for gutter decorations). */
  highlightLines: number[];
  /** 0-based lines of the chain wiring rules that lead to them. */
  wiringLines: number[];
  /** Per floating IP, which rules were found and which are missing. */
  floatingIps: FloatingIpRules[];
  /** 0-based line of each section heading. */
  sections: Record<string, number>;
}

const MARK = '>> ';
const PAD = '   ';

function isError(x: unknown): x is { error: string } {
  return typeof x === 'object' && x !== null && 'error' in x;
}

export function renderNamespaceDocument(i: NamespaceDocumentInput): RenderedNamespaceDocument {
  const out: string[] = [];
  const sections: Record<string, number> = {};
  const kind = classifyNamespace(i.namespace).kind;
  out.push(`# Namespace ${i.namespace} on host ${i.host}`);
  out.push(`# ${NAMESPACE_PURPOSE[kind]}`);
  if (i.router) out.push(`# Router: ${i.router.name ? `${i.router.name} ` : ''}(${i.router.id})`);
  if (i.sighting) {
    out.push(`# Seen by: ${[i.sighting.byIpNetns ? 'ip netns' : '', i.sighting.byLsns ? 'lsns -t net' : ''].filter(Boolean).join(' and ') || 'neither tool'}`);
    out.push(`#   ${explainSighting(i.sighting)}`);
  }
  out.push(`# Captured: ${i.capturedAt}`);

  const nat = i.nat && !isError(i.nat) ? i.nat.parsed : undefined;
  const fipResults: FloatingIpRules[] = [];
  const wiring = nat ? natWiring(nat) : undefined;
  const fips = i.floatingIps.filter((f) => f.fixedIp);
  if (kind === 'qrouter' || kind === 'snat' || fips.length) {
    out.push('#');
    if (!fips.length) out.push('# Floating IPs of this router: none associated.');
    else out.push(`# Floating IPs of this router (${fips.length}):`);
    for (const f of fips) {
      if (!nat) {
        out.push(`#   ${f.floatingIp} → ${f.fixedIp}: nat table not available.`);
        continue;
      }
      const r = floatingIpRules(nat, f.floatingIp, f.fixedIp!);
      fipResults.push(r);
      const found = r.found.map((x) => `${x.kind === 'snat' ? 'SNAT' : 'DNAT'} ${x.rule.chain}`).join(', ');
      out.push(`#   ${f.floatingIp} → ${f.fixedIp}: ${r.found.length ? `${found}` : 'no rule'}${r.missing.length ? ` — MISSING: ${r.missing.map((m) => RULE_LABEL[m]).join('; ')}` : ' — complete'}`);
    }
    if (wiring?.problems.length) for (const p of wiring.problems) out.push(`#   Chain wiring: ${p}`);
    else if (wiring?.wrap) out.push(`#   Chain wiring: complete (prefix "${wiring.wrap}").`);
  }

  const section = (title: string, body: { text: string } | { error: string } | undefined) => {
    out.push('');
    sections[title] = out.length;
    out.push(`## ${title}`);
    if (!body) out.push('(not captured)');
    else if (isError(body)) out.push(`(failed: ${body.error})`);
    else out.push(...body.text.replace(/\n+$/, '').split('\n'));
  };
  section(`ip -d addr show`, i.addr);
  section(`ip route show table all`, i.route);
  section(`ip rule show`, i.rule);

  out.push('');
  sections['iptables-save -t nat'] = out.length;
  out.push('## iptables-save -t nat');
  const highlightLines: number[] = [];
  const wiringLines: number[] = [];
  if (!i.nat) out.push('(not captured)');
  else if (isError(i.nat)) out.push(`(failed: ${i.nat.error})`);
  else {
    const marked = new Set<number>();
    for (const r of fipResults) for (const f of r.found) marked.add(f.rule.line);
    const wired = new Set((wiring?.rules ?? []).map((r) => r.line));
    const base = out.length;
    const lines = i.nat.text.replace(/\n+$/, '').split('\n');
    lines.forEach((l, n) => {
      if (marked.has(n)) highlightLines.push(base + n);
      else if (wired.has(n)) wiringLines.push(base + n);
      out.push(`${marked.has(n) ? MARK : PAD}${l}`);
    });
  }
  return { text: `${out.join('\n')}\n`, highlightLines, wiringLines, floatingIps: fipResults, sections };
}
