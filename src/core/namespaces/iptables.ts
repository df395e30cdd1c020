/**
 * `iptables-save` parsing and the floating-IP rules of neutron's L3 agent (domain-facts §3.4,
 * neutron `agent/l3/router_info.py` floating_forward_rules, `agent/linux/iptables_manager.py`):
 *
 *   <wrap>-PREROUTING  -d <fip>/32 -j DNAT --to-destination <fixed>
 *   <wrap>-OUTPUT      -d <fip>/32 -j DNAT --to-destination <fixed>
 *   <wrap>-float-snat  -s <fixed>/32 -j SNAT --to-source <fip> [--random-fully]
 *
 * The wrap prefix is `basename(argv[0])[:16]` (`neutron-l3-agent` for the L3 agent, another for the VPN agent), so
 * chains are matched by suffix, never by a hard-coded prefix.
 */

export interface IptablesRule {
  table: string;
  chain: string;
  /** The rule as written after `-A <chain> `. */
  spec: string;
  /** Tokens of `spec` (quotes removed). */
  args: string[];
  /** 0-based line number in the iptables-save text. */
  line: number;
  /** Option values: `-d`, `-s`, `-j`, `-i`, `-o`, `--to-destination`, `--to-source`… (first occurrence). */
  opts: Record<string, string>;
}

export interface IptablesChain {
  table: string;
  name: string;
  /** ACCEPT/DROP for built-in chains, `-` for user chains. */
  policy: string;
  line: number;
}

export interface IptablesSave {
  tables: string[];
  chains: IptablesChain[];
  rules: IptablesRule[];
}

/** Splits an iptables-save rule into words, honouring double quotes (`--comment "…"`). */
export function tokenizeRule(spec: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inQuote = false;
  let has = false;
  for (let i = 0; i < spec.length; i++) {
    const ch = spec[i];
    if (inQuote) {
      if (ch === '\\' && spec[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') inQuote = false;
      else cur += ch;
    } else if (ch === '"') {
      inQuote = true;
      has = true;
    } else if (/\s/.test(ch)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += ch;
      has = true;
    }
  }
  if (has || cur) out.push(cur);
  return out;
}

function optionsOf(args: string[]): Record<string, string> {
  const opts: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('-')) continue;
    let negated = false;
    let key = a;
    if (args[i - 1] === '!') negated = true;
    const v = args[i + 1];
    if (v === undefined || (v.startsWith('-') && !/^-?\d/.test(v))) {
      if (!(key in opts)) opts[key] = '';
      continue;
    }
    if (negated) key = `!${key}`;
    if (!(key in opts)) opts[key] = v;
  }
  return opts;
}

/** Parses the text of `iptables-save` (any tables; `[packets:bytes]` counters allowed). */
export function parseIptablesSave(text: string): IptablesSave {
  const res: IptablesSave = { tables: [], chains: [], rules: [] };
  let table = '';
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, '');
    if (!line || line.startsWith('#')) continue;
    if (line.startsWith('*')) {
      table = line.slice(1).trim();
      res.tables.push(table);
      continue;
    }
    if (line === 'COMMIT') continue;
    if (line.startsWith(':')) {
      const m = /^:(\S+)\s+(\S+)/.exec(line);
      if (m) res.chains.push({ table, name: m[1], policy: m[2], line: i });
      continue;
    }
    const m = /^(?:\[\d+:\d+\]\s+)?-A\s+(\S+)\s*(.*)$/.exec(line);
    if (!m) continue;
    const args = tokenizeRule(m[2]);
    res.rules.push({ table, chain: m[1], spec: m[2], args, line: i, opts: optionsOf(args) });
  }
  return res;
}

/** `10.0.0.5/32` or `10.0.0.5` → `10.0.0.5`; other prefixes stay as they are. */
function host32(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  return v.endsWith('/32') ? v.slice(0, -3) : v.endsWith('/128') ? v.slice(0, -4) : v;
}

/** `10.0.0.5` or `10.0.0.5:80` or `10.0.0.5-10.0.0.9` → the first address. */
function natAddress(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  return v.replace(/^\[/, '').replace(/\](?::\d+.*)?$/, '').replace(/:\d+(?:-\d+)?$/, '').split('-')[0];
}

export type FloatingRuleKind = 'dnat-prerouting' | 'dnat-output' | 'snat';

export interface FloatingIpRule {
  kind: FloatingRuleKind;
  rule: IptablesRule;
}

export interface FloatingIpRules {
  floatingIp: string;
  fixedIp: string;
  found: FloatingIpRule[];
  /** Expected rules that are absent (the reason a floating IP does not work). */
  missing: FloatingRuleKind[];
}

export const RULE_LABEL: Record<FloatingRuleKind, string> = {
  'dnat-prerouting': 'DNAT in PREROUTING (inbound to the floating IP)',
  'dnat-output': 'DNAT in OUTPUT (from the router itself)',
  snat: 'SNAT in float-snat (outbound from the fixed IP)',
};

/** The rules of the nat table that implement one floating IP, and the expected ones that are missing. */
export function floatingIpRules(save: IptablesSave, floatingIp: string, fixedIp: string): FloatingIpRules {
  const found: FloatingIpRule[] = [];
  for (const r of save.rules) {
    if (r.table !== 'nat') continue;
    const target = r.opts['-j'];
    if (target === 'DNAT' && host32(r.opts['-d']) === floatingIp && natAddress(r.opts['--to-destination']) === fixedIp) {
      if (/(?:^|-)PREROUTING$/.test(r.chain)) found.push({ kind: 'dnat-prerouting', rule: r });
      else if (/(?:^|-)OUTPUT$/.test(r.chain)) found.push({ kind: 'dnat-output', rule: r });
    } else if (target === 'SNAT' && host32(r.opts['-s']) === fixedIp && natAddress(r.opts['--to-source']) === floatingIp) {
      if (/-float-snat$/.test(r.chain)) found.push({ kind: 'snat', rule: r });
    }
  }
  const kinds = new Set(found.map((f) => f.kind));
  const missing = (['dnat-prerouting', 'dnat-output', 'snat'] as const).filter((k) => !kinds.has(k));
  return { floatingIp, fixedIp, found, missing };
}

export interface NatWiring {
  /** The wrap prefix found (e.g. `neutron-l3-agent`), if any neutron-wrapped chain exists. */
  wrap?: string;
  /** Problems with how the built-in chains reach neutron's chains; empty when wired as neutron does it. */
  problems: string[];
  /** The rules that do the wiring (highlighted in documents). */
  rules: IptablesRule[];
}

/**
 * Checks that PREROUTING → <wrap>-PREROUTING, OUTPUT → <wrap>-OUTPUT, POSTROUTING → neutron-postrouting-bottom →
 * <wrap>-snat → <wrap>-float-snat are in place (iptables_manager.py:382-399).
 */
export function natWiring(save: IptablesSave): NatWiring {
  const nat = save.rules.filter((r) => r.table === 'nat');
  const floatSnat = save.chains.find((c) => c.table === 'nat' && /-float-snat$/.test(c.name));
  const wrap = floatSnat?.name.replace(/-float-snat$/, '');
  if (!wrap) return { problems: ['No "*-float-snat" chain in the nat table: the L3 agent has not set up this router.'], rules: [] };
  const jump = (from: string, to: string) => nat.find((r) => r.chain === from && r.opts['-j'] === to);
  const checks: [string, string][] = [
    ['PREROUTING', `${wrap}-PREROUTING`],
    ['OUTPUT', `${wrap}-OUTPUT`],
    ['POSTROUTING', 'neutron-postrouting-bottom'],
    ['neutron-postrouting-bottom', `${wrap}-snat`],
    [`${wrap}-snat`, `${wrap}-float-snat`],
  ];
  const problems: string[] = [];
  const rules: IptablesRule[] = [];
  for (const [from, to] of checks) {
    const r = jump(from, to);
    if (r) rules.push(r);
    else problems.push(`No jump from "${from}" to "${to}".`);
  }
  return { wrap, problems, rules };
}

/** INPUT rules (or a DROP policy) that would stop TCP to ports min..max; a crude but honest reading. */
export function firewallBlocks(fw: IptablesSave, min: number, max: number): string[] {
  const out: string[] = [];
  const input = fw.rules.filter((r) => r.table === 'filter' && r.chain === 'INPUT');
  for (const r of input) {
    const target = r.opts['-j'];
    if (target !== 'DROP' && target !== 'REJECT') continue;
    if (/-p (?!tcp)\w+/.test(r.spec)) continue;
    const dports = /--dports? (\S+)/.exec(r.spec)?.[1];
    if (!dports) {
      if (!/-s |-i |-m state|-m conntrack|--ctstate|--state/.test(r.spec)) out.push(`INPUT ${r.spec}`);
      continue;
    }
    for (const part of dports.split(',')) {
      const [lo, hi] = part.split(':').map(Number);
      if ((hi ?? lo) >= min && lo <= max) out.push(`INPUT ${r.spec}`);
    }
  }
  const policy = fw.chains.find((c) => c.table === 'filter' && c.name === 'INPUT')?.policy;
  if (policy === 'DROP' && !input.some((r) => r.opts['-j'] === 'ACCEPT' && /--dports? (\S+)/.exec(r.spec)?.[1]?.split(',').some((p) => Number(p.split(':')[0]) <= min && Number(p.split(':')[1] ?? p) >= max))) {
    out.push(`INPUT policy DROP without an ACCEPT for ${min}:${max}`);
  }
  return out;
}
