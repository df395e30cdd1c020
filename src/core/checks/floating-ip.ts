import { TroubleshooterError } from '../errors';
import { isIpAddress } from '../remote/validate';
import { inputText, type CheckDefinition } from './definition';
import { ipAddrCommand, ipNetnsListCommand, iptablesNatCommand, type Captured } from '../namespaces/commands';
import type { IpInterface } from '../namespaces/ip';
import { floatingIpRules, natWiring, RULE_LABEL, type IptablesSave } from '../namespaces/iptables';
import type { IpNetnsEntry } from '../namespaces/netns';
import type { FloatingIp, NetworkAgent, Port, Router } from '../openstack/types';
import { apiOutcome, HostRunner, notOk, reasonOf, valueOf, type GatherContext, type Outcome } from './gather';
import type { CheckApi } from './ports';
import { finding, overallStatus, skipped, type CheckReport, type Finding } from './types';

/**
 * The path of a floating IP (domain-facts §3.1–3.4): floating IP → router → the L3 agent that is active for it →
 * that host's `qrouter-<router>` namespace → DNAT (PREROUTING, OUTPUT) and SNAT (float-snat) rules, the gateway
 * port and, with enable_snat, the router's default SNAT.
 */

export interface FloatingIpFacts {
  query: string;
  fip: Outcome<FloatingIp>;
  router: Outcome<Router>;
  agents: Outcome<NetworkAgent[]>;
  gatewayPorts: Outcome<Port[]>;
  /** The L3 agent host inspected (active one for HA routers). */
  host?: string;
  namespaces: Outcome<IpNetnsEntry[]>;
  nat: Outcome<Captured<IptablesSave>>;
  addresses: Outcome<Captured<IpInterface[]>>;
  startedAt: string;
  durationMs: number;
  unreachable: { host: string; reason: string }[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The agent whose qrouter- namespace carries the router's addresses: the HA "active" one, or the only one. */
export function activeAgent(agents: NetworkAgent[]): NetworkAgent | undefined {
  const alive = agents.filter((a) => a.alive && a.adminStateUp !== false);
  return alive.find((a) => a.haState === 'active') ?? alive.find((a) => !a.haState) ?? alive[0] ?? agents[0];
}

/** `query` is a floating IP address or the floating IP's id. */
export async function gatherFloatingIp(api: CheckApi, ctx: GatherContext, query: string): Promise<FloatingIpFacts> {
  const started = Date.now();
  const t0 = performance.now();
  const run = new HostRunner(ctx);
  const fip = await apiOutcome(ctx, `find floating IP "${query}"`, async (s) => {
    if (UUID.test(query)) return api.getFloatingIp(query, s);
    if (!isIpAddress(query)) throw new TroubleshooterError('InvalidInput', `Not a floating IP address or id: "${query}".`);
    const list = await api.listFloatingIps({ address: query }, s);
    const hit = list.find((x) => x.floatingIpAddress === query);
    if (!hit) throw new TroubleshooterError('NotFound', `No floating IP "${query}".`);
    return hit;
  });
  const routerId = valueOf(fip)?.routerId;
  const none = (why: string) => notOk<never>(why);
  const [router, agents, gatewayPorts] = routerId
    ? await Promise.all([
        apiOutcome(ctx, 'show router', (s) => api.getRouter(routerId, s)),
        apiOutcome(ctx, 'list the router\'s L3 agents', (s) => api.listRouterL3Agents(routerId, s)),
        apiOutcome(ctx, 'list the router\'s gateway port', (s) => api.listPorts({ deviceId: routerId, deviceOwner: 'network:router_gateway' }, s)),
      ])
    : [none(fip.ok ? 'The floating IP is not associated with a router.' : fip.reason), none('no router'), none('no router')];
  const host = activeAgent(valueOf(agents) ?? [])?.host;
  let namespaces: Outcome<IpNetnsEntry[]> = none(host ? 'not gathered' : 'No L3 agent hosts the router.');
  let nat: Outcome<Captured<IptablesSave>> = none(host ? 'not gathered' : 'No L3 agent hosts the router.');
  let addresses: Outcome<Captured<IpInterface[]>> = none(host ? 'not gathered' : 'No L3 agent hosts the router.');
  if (host && routerId) {
    const ns = `qrouter-${routerId}`;
    namespaces = await run.run(host, 'ip netns list', ipNetnsListCommand({ sudo: true }));
    if (valueOf(namespaces)?.some((n) => n.name === ns)) {
      [nat, addresses] = await Promise.all([run.run(host, `iptables-save -t nat in ${ns}`, iptablesNatCommand(ns)), run.run(host, `ip addr in ${ns}`, ipAddrCommand(ns))]);
    } else {
      nat = none(namespaces.ok ? `No namespace "${ns}" on "${host}".` : namespaces.reason);
      addresses = none(namespaces.ok ? `No namespace "${ns}" on "${host}".` : namespaces.reason);
    }
    ctx.progress({ host, message: 'facts gathered', done: true });
  }
  return { query, fip, router, agents, gatewayPorts, host, namespaces, nat, addresses, startedAt: new Date(started).toISOString(), durationMs: Math.round(performance.now() - t0), unreachable: run.unreachable() };
}

export function evaluateFloatingIp(f: FloatingIpFacts): Finding[] {
  const out: Finding[] = [];
  const fip = valueOf(f.fip);
  if (!fip) return [skipped('floating-ip', 'Floating IP', `Skipped: ${reasonOf(f.fip)}`)];
  const assoc = 'Association';
  if (!fip.portId || !fip.fixedIpAddress) {
    out.push(finding('association', assoc, 'fail', `${fip.floatingIpAddress} is not associated with a port: nothing is reachable through it.`, [`status ${fip.status ?? '?'}, port ${fip.portId ?? '-'}`], { text: 'Associate it with the instance\'s port (openstack server add floating ip).' }));
    return out;
  }
  out.push(finding('association', assoc, fip.status === 'ERROR' ? 'fail' : 'pass', `${fip.floatingIpAddress} → ${fip.fixedIpAddress} (port ${fip.portId}), router ${fip.routerId ?? '-'}, status ${fip.status ?? '?'}.`, fip.portDetails ? [`port device ${fip.portDetails.deviceOwner ?? '?'} ${fip.portDetails.deviceId ?? ''} (${fip.portDetails.status ?? '?'})`] : []));

  const router = valueOf(f.router);
  if (!router) out.push(skipped('router', 'Router and gateway', `Skipped: ${reasonOf(f.router)}`));
  else {
    const gw = router.externalGatewayInfo;
    const ev = [`router ${router.name} (${router.id}): status ${router.status ?? '?'}, admin ${router.adminStateUp === false ? 'down' : 'up'}, ha ${router.ha ?? '?'}, distributed ${router.distributed ?? '?'}`];
    if (gw) ev.push(`gateway on network ${gw.networkId}: ${gw.externalFixedIps.map((x) => x.ipAddress).join(', ')}, enable_snat ${gw.enableSnat ?? '?'}`);
    const gp = valueOf(f.gatewayPorts)?.[0];
    if (gp) ev.push(`gateway port ${gp.id}: ${gp.status ?? '?'}${gp.bindingHostId ? ` on ${gp.bindingHostId}` : ''}`);
    if (!gw) out.push(finding('router', 'Router and gateway', 'fail', `Router "${router.name}" has no external gateway: floating IPs need one.`, ev, { text: `openstack router set --external-gateway <external network> ${router.id}` }));
    else if (router.adminStateUp === false || router.status === 'ERROR') out.push(finding('router', 'Router and gateway', 'fail', `Router "${router.name}" is ${router.adminStateUp === false ? 'administratively down' : 'in ERROR'}.`, ev));
    else out.push(finding('router', 'Router and gateway', 'pass', `Router "${router.name}" has its gateway ${gw.externalFixedIps.map((x) => x.ipAddress).join(', ')} (enable_snat ${gw.enableSnat ?? 'true'}).`, ev));
  }

  const agents = valueOf(f.agents);
  if (!agents) out.push(skipped('l3-agent', 'L3 agent', `Skipped: ${reasonOf(f.agents)}`));
  else {
    const ev = agents.map((a) => `${a.agentType} on ${a.host}: ${a.alive ? 'alive' : 'DEAD'}${a.haState ? `, ha_state ${a.haState}` : ''}${a.agentMode ? `, mode ${a.agentMode}` : ''}`);
    const active = activeAgent(agents);
    if (agents.length === 0) out.push(finding('l3-agent', 'L3 agent', 'fail', 'No L3 agent hosts the router: its namespace exists nowhere.', ev, { text: 'Check that an L3 agent is alive, then reschedule the router (openstack network agent add router --l3 <agent> <router>).' }));
    else if (!active?.alive) out.push(finding('l3-agent', 'L3 agent', 'fail', `The L3 agent hosting the router on "${active?.host}" is not alive.`, ev, { text: `Restart neutron-l3-agent on "${active?.host}".`, commands: [{ host: active?.host, command: 'systemctl restart neutron-l3-agent' }] }, active ? [active.host] : undefined));
    else out.push(finding('l3-agent', 'L3 agent', 'pass', `The router is active on "${active.host}" (${active.agentMode ?? 'legacy'}${active.haState ? `, ${active.haState}` : ''}).`, ev, undefined, [active.host]));
  }

  const ns = fip.routerId ? `qrouter-${fip.routerId}` : 'qrouter-?';
  const host = f.host;
  if (!f.namespaces.ok) out.push(skipped('namespace', `Namespace ${ns}`, `Skipped: ${f.namespaces.reason}`, host ? [host] : undefined));
  else {
    const present = f.namespaces.value.some((n) => n.name === ns);
    out.push(present
      ? finding('namespace', `Namespace ${ns}`, 'pass', `"${host}" has ${ns}.`, [], undefined, host ? [host] : undefined)
      : finding('namespace', `Namespace ${ns}`, 'fail', `"${host}" has no ${ns}: the L3 agent has not built the router there.`, [`ip netns: ${f.namespaces.value.map((n) => n.name).join(', ') || '(none)'}`], { text: `Check neutron-l3-agent's log on "${host}" for the router id; restarting the agent resyncs its routers.` }, host ? [host] : undefined));
  }

  const save = valueOf(f.nat)?.parsed;
  if (!save) out.push(skipped('nat', 'DNAT and SNAT rules', `Skipped: ${reasonOf(f.nat)}`, host ? [host] : undefined));
  else {
    const rules = floatingIpRules(save, fip.floatingIpAddress, fip.fixedIpAddress);
    const wiring = natWiring(save);
    const ev = [...rules.found.map((r) => `-A ${r.rule.chain} ${r.rule.spec}`), ...wiring.problems];
    if (rules.missing.length) {
      out.push(finding('nat', 'DNAT and SNAT rules', 'fail', `Missing in ${ns}: ${rules.missing.map((k) => RULE_LABEL[k]).join('; ')}.`, ev, { text: `The L3 agent on "${host}" has not (re)applied this floating IP: check its log for the router id and restart it to resync.` }, host ? [host] : undefined));
    } else if (wiring.problems.length) {
      out.push(finding('nat', 'DNAT and SNAT rules', 'fail', `The floating IP's rules exist but are not reached: ${wiring.problems.join(' ')}`, ev, { text: 'Something flushed or reordered the nat table: restart the L3 agent to rebuild it.' }, host ? [host] : undefined));
    } else {
      out.push(finding('nat', 'DNAT and SNAT rules', 'pass', `DNAT ${fip.floatingIpAddress} → ${fip.fixedIpAddress} (PREROUTING, OUTPUT) and SNAT ${fip.fixedIpAddress} → ${fip.floatingIpAddress} (float-snat) are in place (chains ${wiring.wrap}-*).`, ev, undefined, host ? [host] : undefined));
    }
    // The router's own SNAT for instances without a floating IP (enable_snat).
    const gwIps = valueOf(f.router)?.externalGatewayInfo?.externalFixedIps.map((x) => x.ipAddress) ?? [];
    const enableSnat = valueOf(f.router)?.externalGatewayInfo?.enableSnat !== false;
    const snat = save.rules.filter((r) => r.table === 'nat' && /-snat$/.test(r.chain) && !/-float-snat$/.test(r.chain) && r.opts['-j'] === 'SNAT' && gwIps.includes((r.opts['--to-source'] ?? '').split(':')[0]));
    if (gwIps.length) {
      if (enableSnat && snat.length === 0) out.push(finding('snat', 'Router SNAT (enable_snat)', 'fail', `enable_snat is on but ${ns} has no SNAT to the gateway address ${gwIps.join(', ')}: instances without a floating IP cannot reach outside.`, [], { text: 'Restart the L3 agent to rebuild the router\'s nat table.' }, host ? [host] : undefined));
      else if (!enableSnat && snat.length) out.push(finding('snat', 'Router SNAT (enable_snat)', 'warn', `enable_snat is off but ${ns} still SNATs to ${gwIps.join(', ')} (stale rules).`, snat.map((r) => `-A ${r.chain} ${r.spec}`), undefined, host ? [host] : undefined));
      else out.push(finding('snat', 'Router SNAT (enable_snat)', 'pass', enableSnat ? `Default SNAT to ${gwIps.join(', ')} is in place.` : 'enable_snat is off and no default SNAT rule exists.', snat.map((r) => `-A ${r.chain} ${r.spec}`), undefined, host ? [host] : undefined));
    }
  }

  const ifs = valueOf(f.addresses)?.parsed;
  if (!ifs) out.push(skipped('gateway-device', 'Gateway device (qg-)', `Skipped: ${reasonOf(f.addresses)}`, host ? [host] : undefined));
  else {
    const qg = ifs.filter((i) => i.name.startsWith('qg-'));
    const ev = ifs.filter((i) => /^(qg|qr)-/.test(i.name)).map((i) => `${i.name} ${i.state ?? ''}: ${i.addresses.filter((a) => a.family === 'inet').map((a) => a.cidr).join(', ')}`);
    const gwIps = valueOf(f.router)?.externalGatewayInfo?.externalFixedIps.map((x) => x.ipAddress) ?? [];
    if (qg.length === 0) out.push(finding('gateway-device', 'Gateway device (qg-)', 'fail', `${ns} has no qg- device: the router is not plugged into the external network.`, ev, { text: 'Restart the L3 agent; check the gateway port\'s binding.' }, host ? [host] : undefined));
    else {
      const addrs = qg.flatMap((i) => i.addresses.map((a) => a.cidr.split('/')[0]));
      const missingGw = gwIps.filter((ip) => !addrs.includes(ip));
      const hasFip = addrs.includes(fip.floatingIpAddress);
      if (missingGw.length) out.push(finding('gateway-device', 'Gateway device (qg-)', 'fail', `${qg[0].name} lacks the gateway address ${missingGw.join(', ')}.`, ev, { text: 'Restart the L3 agent to re-plug the gateway port.' }, host ? [host] : undefined));
      else if (!hasFip && valueOf(f.router)?.distributed !== true) out.push(finding('gateway-device', 'Gateway device (qg-)', 'warn', `${qg[0].name} carries the gateway address but not ${fip.floatingIpAddress}/32: a legacy or HA router adds each floating IP to qg- so it answers ARP for it.`, ev, { text: 'If inbound traffic to the floating IP fails, restart the L3 agent so it re-adds the address.' }, host ? [host] : undefined));
      else out.push(finding('gateway-device', 'Gateway device (qg-)', 'pass', `${qg[0].name} carries ${[...gwIps, hasFip ? fip.floatingIpAddress : ''].filter(Boolean).join(', ')}.`, ev, undefined, host ? [host] : undefined));
    }
  }
  return out;
}

export function floatingIpReport(f: FloatingIpFacts): CheckReport {
  const findings = evaluateFloatingIp(f);
  const fip = valueOf(f.fip);
  return {
    kind: 'floating-ip',
    title: `Floating-IP path of ${fip?.floatingIpAddress ?? f.query}`,
    subject: { floatingIp: fip?.floatingIpAddress ?? f.query, ...(fip?.fixedIpAddress ? { fixedIp: fip.fixedIpAddress } : {}), ...(fip?.routerId ? { router: fip.routerId } : {}), ...(f.host ? { l3AgentHost: f.host } : {}) },
    status: overallStatus(findings),
    findings,
    startedAt: f.startedAt,
    durationMs: f.durationMs,
    unreachable: f.unreachable,
  };
}

/** The path of a floating IP: router, L3 agent, namespaces and NAT rules. */
export const floatingIpCheck: CheckDefinition<FloatingIpFacts> = {
  id: 'floating-ip',
  title: 'Check Floating-IP Path',
  command: 'openstack.check.floatingIp',
  needsCloud: true,
  inputs: [{ name: 'address', kind: 'floating-ip', cli: 'positional', metavar: 'address|id', required: true }],
  progressTitle: (l) => `Checking the path of ${l.address}`,
  gather: async (api, ctx, i) => [await gatherFloatingIp(api, ctx, inputText(i, 'address') ?? '')],
  evaluate: evaluateFloatingIp,
  report: floatingIpReport,
};
