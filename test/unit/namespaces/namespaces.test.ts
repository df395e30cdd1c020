import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  inNamespace, ipAddrCommand, ipNetnsListCommand, iptablesNatCommand, ipRouteCommand, ipRuleCommand, lsnsNetCommand,
} from '../../../src/core/namespaces/commands';
import { renderNamespaceDocument } from '../../../src/core/namespaces/document';
import { parseIpAddr, parseIpRoute, parseIpRule } from '../../../src/core/namespaces/ip';
import { floatingIpRules, natWiring, parseIptablesSave, tokenizeRule } from '../../../src/core/namespaces/iptables';
import { classifyNamespace, namespacesOfRouter } from '../../../src/core/namespaces/names';
import { explainSighting, mergeSightings, parseIpNetnsList, parseLsnsJson } from '../../../src/core/namespaces/netns';

const fx = (name: string) => readFileSync(join(__dirname, '..', '..', 'fixtures', 'namespaces', name), 'utf8');
const ROUTER = '6e2b1b3c-1a2b-4c3d-8e9f-0a1b2c3d4e5f';

describe('namespaces: names', () => {
  it('classifies neutron namespaces by prefix and keeps the resource id', () => {
    assert.deepEqual(classifyNamespace(`qrouter-${ROUTER}`), { kind: 'qrouter', resourceId: ROUTER });
    assert.equal(classifyNamespace('snat-6E2B1B3C-1a2b-4c3d-8e9f-0a1b2c3d4e5f').resourceId, ROUTER);
    assert.equal(classifyNamespace('fip-11111111-2222-4333-8444-555555555555').kind, 'fip');
    assert.equal(classifyNamespace('qrouter-notauuid').kind, 'other');
    assert.equal(classifyNamespace('compute1').kind, 'other');
    assert.deepEqual(namespacesOfRouter(ROUTER, 'AA11AA11-2222-4333-8444-555555555555'), [
      `qrouter-${ROUTER}`, `snat-${ROUTER}`, 'fip-aa11aa11-2222-4333-8444-555555555555',
    ]);
  });
});

describe('namespaces: command builders', () => {
  it('builds argv arrays, validating namespace names', () => {
    assert.deepEqual(ipNetnsListCommand().argv, ['ip', 'netns', 'list']);
    assert.deepEqual(lsnsNetCommand().argv, ['lsns', '-t', 'net', '-J', '-o', 'NS,TYPE,NPROCS,PID,NETNSID,NSFS,COMMAND']);
    assert.equal(lsnsNetCommand().sudo, true);
    assert.equal(lsnsNetCommand({ sudo: false }).sudo, false);
    assert.deepEqual(ipAddrCommand(`qrouter-${ROUTER}`).argv, ['ip', '-n', `qrouter-${ROUTER}`, '-d', 'addr', 'show']);
    assert.deepEqual(ipRouteCommand('qdhcp-x').argv, ['ip', '-n', 'qdhcp-x', 'route', 'show', 'table', 'all']);
    assert.deepEqual(ipRuleCommand('qdhcp-x').argv, ['ip', '-n', 'qdhcp-x', 'rule', 'show']);
    assert.deepEqual(iptablesNatCommand(`qrouter-${ROUTER}`).argv, ['ip', 'netns', 'exec', `qrouter-${ROUTER}`, 'iptables-save', '-t', 'nat']);
    assert.throws(() => inNamespace('qrouter-x; rm -rf /', ['true']), /Invalid namespace name/);
    assert.throws(() => ipAddrCommand('../etc'), /Invalid namespace name/);
  });

  it('iptables command refuses output without a nat table', () => {
    const cmd = iptablesNatCommand('qrouter-x');
    assert.throws(() => cmd.parse('*filter\nCOMMIT\n', { exitCode: 0, stderr: '' }), /no nat table/);
    assert.equal(cmd.parse('', { exitCode: 0, stderr: '' }).parsed.rules.length, 0);
  });
});

describe('namespaces: ip netns and lsns', () => {
  it('parses ip netns list with and without ids', () => {
    assert.deepEqual(parseIpNetnsList(fx('ip-netns-list.txt')), [
      { name: `qrouter-${ROUTER}`, id: 1 },
      { name: 'qdhcp-0f9e8d7c-6b5a-4948-8372-615049382716', id: 0 },
      { name: 'fip-11111111-2222-4333-8444-555555555555' },
    ]);
    assert.deepEqual(parseIpNetnsList(''), []);
  });

  it('parses lsns JSON (numbers or strings, null nsfs)', () => {
    const l = parseLsnsJson(fx('lsns-net.json'));
    assert.equal(l.length, 3);
    assert.deepEqual(l[1].nsfs, ['/run/netns/qdhcp-0f9e8d7c-6b5a-4948-8372-615049382716']);
    assert.equal(l[1].netnsid, 0);
    assert.equal(l[0].netnsid, undefined);
    const old = parseLsnsJson('{"namespaces":[{"ns":"4026532410","type":"net","nprocs":"1","pid":"4242","command":"x","nsfs":"/var/run/netns/a"}]}');
    assert.equal(old[0].inode, 4026532410);
    assert.throws(() => parseLsnsJson('lsns: unknown column: NSFS'), /not JSON/);
  });

  it('unions both tools and says which saw what', () => {
    const merged = mergeSightings(parseIpNetnsList(fx('ip-netns-list.txt')), parseLsnsJson(fx('lsns-net.json')));
    const byName = new Map(merged.map((m) => [m.name, m]));
    const qr = byName.get(`qrouter-${ROUTER}`)!;
    assert.deepEqual([qr.byIpNetns, qr.byLsns], [true, false]);
    assert.match(explainSighting(qr), /no process holds/);
    const dhcp = byName.get('qdhcp-0f9e8d7c-6b5a-4948-8372-615049382716')!;
    assert.deepEqual([dhcp.byIpNetns, dhcp.byLsns, dhcp.nprocs], [true, true, 1]);
    assert.match(explainSighting(dhcp), /both/);
    const anon = merged.filter((m) => m.name.startsWith('net:['));
    assert.deepEqual(anon.map((a) => a.name), ['net:[4026531833]', 'net:[4026532501]']);
    assert.match(explainSighting(anon[1]), /anonymous namespace.*container/);
    // neutron first, anonymous last
    assert.equal(merged[0].kind, 'qrouter');
    assert.ok(merged[merged.length - 1].name.startsWith('net:['));
  });
});

describe('namespaces: ip output', () => {
  it('parses ip -d addr with link kinds and addresses', () => {
    const ifs = parseIpAddr(fx('ip-d-addr-qrouter.txt'));
    assert.deepEqual(ifs.map((i) => i.name), ['lo', 'qr-9a8b7c6d-5e', 'qg-6e2b1b3c-1a']);
    const qg = ifs[2];
    assert.equal(qg.link, 'if9');
    assert.equal(qg.kind, 'veth');
    assert.equal(qg.mtu, 1500);
    assert.equal(qg.mac, 'fa:16:3e:44:55:66');
    assert.deepEqual(qg.addresses.map((a) => a.cidr), ['172.24.4.20/24', '172.24.4.157/32', 'fe80::f816:3eff:fe44:5566/64']);
    const lo = parseIpAddr(fx('ip-d-addr-host-lo.txt'));
    assert.equal(lo[0].name, 'lo');
    assert.ok(lo[0].addresses.some((a) => a.cidr === '127.0.0.1/8'));
  });

  it('parses ip route table all and ip rule (captured on Debian 12)', () => {
    const routes = parseIpRoute(fx('ip-route-table-all-host.txt'));
    assert.ok(routes.length > 2);
    const local = routes.find((r) => r.table === 'local');
    assert.ok(local, 'a route of table local');
    const rules = parseIpRule(fx('ip-rule-host.txt'));
    assert.deepEqual(rules.map((r) => [r.priority, r.table]), [[0, 'local'], [32766, 'main'], [32767, 'default']]);
  });
});

describe('namespaces: iptables-save and floating IP rules', () => {
  it('tokenizes quoted comments', () => {
    assert.deepEqual(tokenizeRule('-m comment --comment "Perform source NAT." -j X'), ['-m', 'comment', '--comment', 'Perform source NAT.', '-j', 'X']);
  });

  it('finds the DNAT and SNAT rules of a floating IP by chain suffix', () => {
    const save = parseIptablesSave(fx('iptables-save-nat-qrouter.txt'));
    assert.deepEqual(save.tables, ['nat']);
    const r = floatingIpRules(save, '172.24.4.157', '10.0.0.12');
    assert.deepEqual(r.found.map((f) => [f.kind, f.rule.chain]), [
      ['dnat-output', 'neutron-l3-agent-OUTPUT'],
      ['dnat-prerouting', 'neutron-l3-agent-PREROUTING'],
      ['snat', 'neutron-l3-agent-float-snat'],
    ]);
    assert.deepEqual(r.missing, []);
    // the metadata REDIRECT and the router's default SNAT are not floating-IP rules
    assert.ok(!r.found.some((f) => /REDIRECT|172\.24\.4\.20/.test(f.rule.spec)));
  });

  it('reports missing rules for an IP without NAT, and works with another wrap prefix', () => {
    const text = fx('iptables-save-nat-qrouter.txt').replaceAll('neutron-l3-agent-', 'neutron-vpn-agen-');
    const save = parseIptablesSave(text);
    assert.equal(floatingIpRules(save, '172.24.4.157', '10.0.0.12').found.length, 3);
    assert.deepEqual(floatingIpRules(save, '172.24.4.99', '10.0.0.12').missing, ['dnat-prerouting', 'dnat-output', 'snat']);
    const w = natWiring(save);
    assert.equal(w.wrap, 'neutron-vpn-agen');
    assert.deepEqual(w.problems, []);
    assert.equal(w.rules.length, 5);
  });

  it('reports broken chain wiring', () => {
    const text = fx('iptables-save-nat-qrouter.txt').replace('-A neutron-l3-agent-snat -j neutron-l3-agent-float-snat\n', '');
    assert.deepEqual(natWiring(parseIptablesSave(text)).problems, ['No jump from "neutron-l3-agent-snat" to "neutron-l3-agent-float-snat".']);
    assert.match(natWiring(parseIptablesSave('*nat\nCOMMIT\n')).problems[0], /no "\*-float-snat" chain|No "\*-float-snat" chain/);
  });
});

describe('namespaces: document', () => {
  it('renders all sections and marks the floating IP rules with >>', () => {
    const natText = fx('iptables-save-nat-qrouter.txt');
    const doc = renderNamespaceDocument({
      host: 'network1',
      namespace: `qrouter-${ROUTER}`,
      sighting: mergeSightings(parseIpNetnsList(fx('ip-netns-list.txt')), parseLsnsJson(fx('lsns-net.json')))[0],
      router: { id: ROUTER, name: 'lab-router' },
      floatingIps: [{ floatingIp: '172.24.4.157', fixedIp: '10.0.0.12' }, { floatingIp: '172.24.4.99', fixedIp: '10.0.0.13' }, { floatingIp: '172.24.4.5', fixedIp: null }],
      addr: { text: fx('ip-d-addr-qrouter.txt'), parsed: parseIpAddr(fx('ip-d-addr-qrouter.txt')) },
      route: { text: 'default via 172.24.4.1 dev qg-6e2b1b3c-1a\n' },
      rule: { error: 'Timed out.' },
      nat: { text: natText, parsed: parseIptablesSave(natText) },
      capturedAt: '2026-11-25T20:40:00Z',
    });
    const lines = doc.text.split('\n');
    assert.equal(lines[0], `# Namespace qrouter-${ROUTER} on host network1`);
    assert.ok(lines.includes('# Router: lab-router (6e2b1b3c-1a2b-4c3d-8e9f-0a1b2c3d4e5f)'));
    assert.ok(lines.some((l) => l.startsWith('#   172.24.4.157 → 10.0.0.12:') && l.endsWith('— complete')));
    assert.ok(lines.some((l) => l.startsWith('#   172.24.4.99 → 10.0.0.13: no rule — MISSING')));
    assert.ok(lines.includes('(failed: Timed out.)'));
    assert.equal(doc.highlightLines.length, 3);
    for (const n of doc.highlightLines) assert.match(lines[n], /^>> -A neutron-l3-agent-(PREROUTING|OUTPUT|float-snat) .*172\.24\.4\.157/);
    assert.equal(lines.filter((l) => l.startsWith('>> ')).length, 3);
    assert.equal(doc.wiringLines.length, 5);
    for (const s of ['ip -d addr show', 'ip route show table all', 'ip rule show', 'iptables-save -t nat']) {
      assert.equal(lines[doc.sections[s]], `## ${s}`);
    }
  });
});

describe('namespaces: outputs captured from the lab network node', () => {
  it('parses the real iptables-save of a qrouter- and finds its floating IP rules', () => {
    const save = parseIptablesSave(fx('lab-iptables-save-nat.txt'));
    const dnat = save.rules.find((r) => r.chain === 'neutron-l3-agent-PREROUTING' && r.opts['-j'] === 'DNAT')!;
    const fip = dnat.opts['-d'].replace('/32', '');
    const fixed = dnat.opts['--to-destination'];
    const r = floatingIpRules(save, fip, fixed);
    assert.deepEqual(r.missing, []);
    assert.equal(r.found.length, 3);
    assert.deepEqual(natWiring(save).problems, []);
    // the router's default SNAT to its gateway address is not mistaken for a floating IP rule
    const gw = save.rules.find((r) => r.chain === 'neutron-l3-agent-snat' && r.opts['-o'])!.opts['--to-source'];
    assert.equal(floatingIpRules(save, gw, fixed).found.length, 0);
  });

  it('parses the real ip netns list, lsns JSON, ip -d addr, route and rule', () => {
    const netns = parseIpNetnsList(fx('lab-ip-netns-list.txt'));
    assert.ok(netns.length >= 1 && netns.every((n) => n.name.startsWith('qrouter-') && n.id !== undefined));
    const lsns = parseLsnsJson(fx('lab-lsns-net.json'));
    const merged = mergeSightings(netns, lsns);
    for (const n of netns) assert.ok(merged.find((m) => m.name === n.name)?.byIpNetns);
    assert.ok(merged.some((m) => m.byLsns && !m.byIpNetns), 'namespaces only lsns sees (held by processes, not under this /run/netns)');
    const ifs = parseIpAddr(fx('lab-ip-d-addr.txt'));
    const qg = ifs.find((i) => i.name.startsWith('qg-'));
    const qr = ifs.find((i) => i.name.startsWith('qr-'));
    assert.ok(qg && qr, 'qg- and qr- devices');
    assert.equal(qg.kind, 'veth');
    assert.ok(qg.addresses.some((a) => a.family === 'inet'));
    const routes = parseIpRoute(fx('lab-ip-route.txt'));
    assert.ok(routes.some((r) => r.dev === qr.name), 'a route through the qr- device');
    assert.ok(parseIpRule(fx('lab-ip-rule.txt')).some((r) => r.table === 'main'));
  });
});
