// Against the lab's network node: the namespaces of the emulated L3 agent (built with neutron's device names and
// iptables chain layout) found by both tools, and the floating IPs' NAT rules matched from the API's answer.
import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ipAddrCommand, ipNetnsListCommand, iptablesNatCommand, ipRouteCommand, ipRuleCommand, lsnsNetCommand } from '../../../src/core/namespaces/commands';
import { renderNamespaceDocument } from '../../../src/core/namespaces/document';
import { floatingIpRules, natWiring } from '../../../src/core/namespaces/iptables';
import { mergeSightings } from '../../../src/core/namespaces/netns';
import { detectNetworkBackend } from '../../../src/core/explorer/network';
import { textCommand } from '../../../src/core/remote/command';
import { run } from '../../../src/core/remote/exec';
import { OpenStackClient } from '../../../src/core/openstack/client';
import { labCloud } from '../openstack/lab-cloud';
import { labSsh } from '../remote/lab-ssh';
import { repoRoot } from '../../support/lab';

describe('explorer namespaces (lab network1)', function () {
  this.timeout(120_000);
  let client: OpenStackClient;
  let pool: ReturnType<ReturnType<typeof labSsh>['pool']>['pool'];

  before(async () => {
    client = await OpenStackClient.connect(labCloud('lab'), { timeoutMs: 120_000 });
    pool = labSsh().pool().pool;
  });
  after(() => {
    client?.dispose();
    pool?.dispose();
  });

  it('each router is hosted by the L3 agent on network1, whose qrouter- namespace both tools see or ip netns only', async () => {
    const agents = (await client.network.listAgents()).data;
    assert.equal(detectNetworkBackend(agents).kind, 'l3-agents');
    const routers = (await client.network.listRouters()).data;
    assert.ok(routers.length >= 1, 'the lab has routers');
    const [netns, lsns] = await Promise.all([run(pool, 'network1', ipNetnsListCommand()), run(pool, 'network1', lsnsNetCommand())]);
    const sightings = mergeSightings(netns.value, lsns.value);
    for (const r of routers) {
      const hosting = (await client.network.listRouterL3Agents(r.id)).data;
      assert.deepEqual(hosting.map((a) => a.host), ['network1'], `router ${r.name} is hosted on network1`);
      const s = sightings.find((x) => x.name === `qrouter-${r.id}`);
      assert.ok(s, `qrouter-${r.id} is on network1`);
      assert.equal(s.byIpNetns, true);
      assert.equal(s.kind, 'qrouter');
      assert.equal(s.resourceId, r.id);
    }
    // The lab also holds a network namespace by a process only (no bind mount): lsns sees it, ip netns cannot.
    assert.ok(sightings.some((s) => s.byLsns && !s.byIpNetns && s.name.startsWith('net:[')), 'an anonymous namespace seen by lsns only');
    if (process.env.CAPTURE_FIXTURES === '1') {
      const dir = join(repoRoot, 'test', 'fixtures', 'namespaces');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'lab-ip-netns-list.txt'), netns.stdout);
      writeFileSync(join(dir, 'lab-lsns-net.json'), lsns.stdout);
    }
  });

  it('the nat table of each qrouter- has the DNAT/SNAT rules of exactly the floating IPs the API associates', async () => {
    const fips = (await client.network.listFloatingIps()).data.filter((f) => f.routerId && f.fixedIpAddress);
    assert.ok(fips.length >= 1, 'the lab has an associated floating IP');
    for (const f of fips) {
      const ns = `qrouter-${f.routerId}`;
      const nat = await run(pool, 'network1', iptablesNatCommand(ns));
      const r = floatingIpRules(nat.value.parsed, f.floatingIpAddress, f.fixedIpAddress!);
      assert.deepEqual(r.missing, [], `${f.floatingIpAddress} → ${f.fixedIpAddress} in ${ns}`);
      assert.deepEqual(r.found.map((x) => x.kind).sort(), ['dnat-output', 'dnat-prerouting', 'snat']);
      assert.deepEqual(natWiring(nat.value.parsed).problems, []);
      // a floating IP of another router is not implemented here
      for (const other of fips.filter((o) => o.routerId !== f.routerId)) {
        assert.equal(floatingIpRules(nat.value.parsed, other.floatingIpAddress, other.fixedIpAddress!).found.length, 0);
      }
      const addr = await run(pool, 'network1', ipAddrCommand(ns));
      const qg = addr.value.parsed.find((i) => i.name.startsWith('qg-'));
      assert.ok(qg, 'a qg- gateway device');
      const router = (await client.network.getRouter(f.routerId!)).data;
      const gwIp = router.externalGatewayInfo?.externalFixedIps[0]?.ipAddress;
      assert.ok(qg.addresses.some((a) => a.cidr.split('/')[0] === gwIp), `qg- carries the gateway IP ${gwIp}`);
      if (process.env.CAPTURE_FIXTURES === '1') {
        const dir = join(repoRoot, 'test', 'fixtures', 'namespaces');
        writeFileSync(join(dir, 'lab-iptables-save-nat.txt'), nat.stdout);
        writeFileSync(join(dir, 'lab-ip-d-addr.txt'), addr.stdout);
        writeFileSync(join(dir, 'lab-ip-route.txt'), (await run(pool, 'network1', ipRouteCommand(ns))).stdout);
        writeFileSync(join(dir, 'lab-ip-rule.txt'), (await run(pool, 'network1', ipRuleCommand(ns))).stdout);
      }
    }
  });

  it('renders the namespace document with the floating IP rules marked', async () => {
    const f = (await client.network.listFloatingIps()).data.find((x) => x.routerId && x.fixedIpAddress)!;
    const ns = `qrouter-${f.routerId}`;
    const [addr, route, rule, nat] = await Promise.all([
      run(pool, 'network1', ipAddrCommand(ns)),
      run(pool, 'network1', ipRouteCommand(ns)),
      run(pool, 'network1', ipRuleCommand(ns)),
      run(pool, 'network1', iptablesNatCommand(ns)),
    ]);
    const doc = renderNamespaceDocument({
      host: 'network1', namespace: ns, router: { id: f.routerId! }, floatingIps: [{ floatingIp: f.floatingIpAddress, fixedIp: f.fixedIpAddress }],
      addr: addr.value, route: route.value, rule: rule.value, nat: nat.value, capturedAt: new Date().toISOString(),
    });
    const lines = doc.text.split('\n');
    assert.equal(doc.highlightLines.length, 3);
    assert.ok(doc.highlightLines.some((n) => lines[n].includes(`-d ${f.floatingIpAddress}/32`) && lines[n].includes('DNAT')));
    assert.ok(lines.some((l) => l.includes(`${f.floatingIpAddress} → ${f.fixedIpAddress}`) && l.endsWith('— complete')));
    // The same text the user would get from the host's own tools.
    const plain = await run(pool, 'network1', textCommand(['ip', 'netns', 'exec', ns, 'iptables-save', '-t', 'nat']));
    const natRules = plain.value.split('\n').filter((l) => l.startsWith('-A '));
    for (const r of natRules) assert.ok(lines.some((l) => l.slice(3) === r), `document has "${r}"`);
  });
});
