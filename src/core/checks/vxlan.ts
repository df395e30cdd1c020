import { inputList, type CheckDefinition } from './definition';
import type { NetworkAgent } from '../openstack/types';
import { apiOutcome, HostRunner, reasonOf, valueOf, type GatherContext, type Outcome } from './gather';
import { readFiles, type RemoteFile } from './commands/files';
import { listeners, vxlanLinks, type Listener, type VxlanLink } from './commands/network';
import { argValues, findProcesses, processTable } from './commands/processes';
import { configuredVxlanPort } from './live-migration/views';
import type { CheckApi } from './ports';
import { finding, overallStatus, skipped, type CheckReport, type Finding } from './types';

/**
 * VXLAN UDP port consistency across every node with an L2 agent (domain-facts §6): the port is not in the API,
 * so it is read from the agent's ini files (linuxbridge `[vxlan] udp_dstport`, default: the kernel's 8472; OVS
 * `[agent] vxlan_udp_port`, default 4789) and from the kernel's devices (`ip -d link show type vxlan`).
 */

export interface VxlanHostFacts {
  host: string;
  agentType?: string;
  agentFiles: Outcome<RemoteFile[]>;
  links: Outcome<VxlanLink[]>;
  udp: Outcome<Listener[]>;
}

export interface VxlanFacts {
  agents: Outcome<NetworkAgent[]>;
  hosts: VxlanHostFacts[];
  startedAt: string;
  durationMs: number;
  unreachable: { host: string; reason: string }[];
}

const L2 = /Open vSwitch agent|Linux bridge agent/i;

export async function gatherVxlan(api: CheckApi, ctx: GatherContext, only?: string[]): Promise<VxlanFacts> {
  const started = Date.now();
  const t0 = performance.now();
  const run = new HostRunner(ctx);
  const agents = await apiOutcome(ctx, 'list network agents', (s) => api.listNetworkAgents({}, s));
  const l2 = (valueOf(agents) ?? []).filter((a) => L2.test(a.agentType));
  const hosts = [...new Set(only?.length ? only : l2.map((a) => a.host))].sort();
  const facts = await Promise.all(
    hosts.map(async (host): Promise<VxlanHostFacts> => {
      const table = valueOf(await run.run(host, 'list processes', processTable()));
      const agent = table ? findProcesses(table, /^neutron-(?:linuxbridge|openvswitch)-agent$/)[0] : undefined;
      const paths = agent ? [...argValues(agent.argv, '--config-file'), ...argValues(agent.argv, '--config-dir').map((d) => (d.endsWith('/') ? d : `${d}/`))] : [];
      if (paths.length === 0) paths.push('/etc/neutron/plugins/ml2/linuxbridge_agent.ini', '/etc/neutron/plugins/ml2/openvswitch_agent.ini');
      const [agentFiles, links, udp] = await Promise.all([
        run.run(host, 'read agent config', readFiles(paths, { sudo: true })),
        run.run(host, 'list VXLAN links', vxlanLinks()),
        run.run(host, 'list UDP sockets', listeners('udp')),
      ]);
      ctx.progress({ host, message: 'facts gathered', done: true });
      return { host, agentType: l2.find((a) => a.host === host)?.agentType, agentFiles, links, udp };
    }),
  );
  return { agents, hosts: facts, startedAt: new Date(started).toISOString(), durationMs: Math.round(performance.now() - t0), unreachable: run.unreachable() };
}

export interface VxlanHostPort {
  host: string;
  configured?: number;
  configuredSource?: string;
  kernel: number[];
  /** The port the node really uses: the kernel's device, else the configuration. */
  effective?: number;
}

export function vxlanPorts(h: VxlanHostFacts): VxlanHostPort {
  const conf = configuredVxlanPort(valueOf(h.agentFiles));
  const kernel = [...new Set((valueOf(h.links) ?? []).map((l) => l.dstport).filter((p): p is number => p !== undefined))];
  return { host: h.host, configured: conf?.port, configuredSource: conf?.source, kernel, effective: kernel[0] ?? conf?.port };
}

export function evaluateVxlan(f: VxlanFacts): Finding[] {
  const out: Finding[] = [];
  if (!f.agents.ok) out.push(skipped('agents', 'L2 agents', `Skipped: ${f.agents.reason}`));
  const ports = f.hosts.map((h) => ({ h, p: vxlanPorts(h) }));
  const known = ports.filter((x) => x.p.effective !== undefined);
  for (const { h, p } of ports) {
    const title = `VXLAN port on "${h.host}"`;
    if (p.effective === undefined) {
      const why = !h.agentFiles.ok ? h.agentFiles.reason : !h.links.ok ? h.links.reason : 'no VXLAN configuration or device';
      out.push(skipped(`host:${h.host}`, title, `Skipped: ${why}`, [h.host]));
      continue;
    }
    const evidence = [`${h.agentType ?? 'agent'}: ${p.configuredSource ?? 'no VXLAN setting found'}`, `kernel: ${(valueOf(h.links) ?? []).map((l) => `${l.name} id ${l.vni} dstport ${l.dstport}`).join(', ') || `no vxlan devices${h.links.ok ? '' : ` (${reasonOf(h.links)})`}`}`];
    const udp = (valueOf(h.udp) ?? []).filter((l) => l.port === p.effective);
    if (udp.length) evidence.push(`UDP socket: ${udp.map((l) => `${l.address}:${l.port}`).join(', ')}`);
    if (p.configured !== undefined && p.kernel.length && !p.kernel.includes(p.configured)) {
      out.push(finding(`host:${h.host}`, title, 'warn', `The agent is configured for ${p.configured} but the kernel's VXLAN device uses ${p.kernel.join(', ')}: the agent has not applied its configuration (restart it; devices are recreated on restart).`, evidence, { text: 'Restart the L2 agent (existing vxlan devices keep their port until they are recreated).' }, [h.host]));
    } else {
      out.push(finding(`host:${h.host}`, title, 'pass', `"${h.host}" uses UDP ${p.effective}.`, evidence, undefined, [h.host]));
    }
  }
  const title = 'One VXLAN port across the cloud';
  if (known.length < 2) out.unshift(skipped('consistency', title, `Skipped: fewer than two nodes with a known VXLAN port (${known.length}).`));
  else {
    const byPort = new Map<number, string[]>();
    for (const { p } of known) byPort.set(p.effective!, [...(byPort.get(p.effective!) ?? []), p.host]);
    const evidence = [...byPort].map(([port, hs]) => `${port}: ${hs.join(', ')}`);
    if (byPort.size === 1) out.unshift(finding('consistency', title, 'pass', `Every node uses UDP ${[...byPort.keys()][0]} (${known.length} nodes).`, evidence));
    else {
      // most nodes first; on a tie the IANA port, then the lower one (one answer whatever order the hosts came in)
      const majority = [...byPort].sort((a, b) => b[1].length - a[1].length || (a[0] === 4789 ? -1 : b[0] === 4789 ? 1 : a[0] - b[0]))[0][0];
      const odd = known.filter((x) => x.p.effective !== majority);
      const oddLb = odd.filter((x) => /linuxbridge/.test(x.p.configuredSource ?? '') || x.h.agentType?.match(/Linux bridge/i));
      out.unshift(finding('consistency', title, 'fail', `Nodes disagree on the VXLAN UDP port: ${evidence.join('; ')}. Tunnels between them carry nothing (instances on "${odd.map((x) => x.p.host).join('", "')}" cannot reach the others over the overlay).`, evidence, {
        text: `Use ${majority} everywhere${majority === 4789 ? ' (the IANA port)' : ''}: ${oddLb.length ? `on the linuxbridge nodes set [vxlan] udp_dstport = ${majority} (without it the kernel's 8472 applies)` : `set the port on ${odd.map((x) => x.p.host).join(', ')}`}, restart the L2 agents, and allow UDP ${majority} between the tunnel endpoints.`,
        commands: odd.map((x) => ({ host: x.p.host, command: x.p.configuredSource && /linuxbridge|udp_dstport/.test(x.p.configuredSource) ? `crudini --set /etc/neutron/plugins/ml2/linuxbridge_agent.ini vxlan udp_dstport ${majority}` : `crudini --set /etc/neutron/plugins/ml2/openvswitch_agent.ini agent vxlan_udp_port ${majority}` })),
      }, odd.map((x) => x.p.host)));
    }
  }
  return out;
}

export function vxlanReport(f: VxlanFacts): CheckReport {
  const findings = evaluateVxlan(f);
  return {
    kind: 'vxlan',
    title: 'VXLAN UDP port consistency',
    subject: { nodes: f.hosts.map((h) => h.host).join(', ') },
    status: overallStatus(findings),
    findings,
    startedAt: f.startedAt,
    durationMs: f.durationMs,
    unreachable: f.unreachable,
  };
}

/** VXLAN UDP port consistency of every node with an L2 agent (or the hosts given on the command line). */
export const vxlanCheck: CheckDefinition<VxlanFacts> = {
  id: 'vxlan',
  title: 'Check VXLAN Port Consistency',
  command: 'openstack.check.vxlan',
  needsCloud: true,
  inputs: [{ name: 'hosts', kind: 'host', cli: '--host', metavar: 'HOST', many: true, cliOnly: true }],
  progressTitle: () => 'Checking VXLAN ports of every node',
  gather: async (api, ctx, i) => [await gatherVxlan(api, ctx, i.hosts === undefined ? undefined : inputList(i, 'hosts'))],
  evaluate: evaluateVxlan,
  report: vxlanReport,
};
