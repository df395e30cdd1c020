"""Emulated neutron-l3-agent for network1 (lab).

* registers 'L3 agent' (binary neutron-l3-agent, agent_mode legacy) on this host
  through neutron's own report_state RPC and keeps it alive;
* schedules every router that has no L3 agent to this agent (admin API
  POST /v2.0/agents/{id}/l3-routers);
* builds, from the API's router / port / floating IP data, what a legacy L3 agent
  builds: a qrouter-<router id> namespace (visible to `ip netns` on network1) with
  qg-/qr- devices (veth pairs, tapXXX end in network1's namespace) and the
  floating-IP iptables rules in neutron's chain layout (nat table:
  neutron-l3-agent-PREROUTING/OUTPUT DNAT, neutron-l3-agent-float-snat SNAT,
  POSTROUTING -> neutron-postrouting-bottom -> neutron-l3-agent-snat -> float-snat).
It moves no packets of its own; there is no real L3 agent.
Touch /run/lab/l3emu.kick (or `lab/lab l3sync`) to resync now.
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fake_agent  # noqa: E402
from fake_agent import LOG, Reporter, setup  # noqa: E402

import threading  # noqa: E402

import openstack  # noqa: E402
import oslo_messaging  # noqa: E402
from neutron_lib import rpc as n_rpc  # noqa: E402

RUN = "/run/lab"
CHAIN = "neutron-l3-agent"


def sh(*cmd, check=True, inp=None):
    r = subprocess.run(list(cmd), input=inp, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: rc={r.returncode} {r.stderr.strip()}")
    return r.stdout


def netns_list():
    try:
        return set(os.listdir("/run/netns"))
    except FileNotFoundError:
        return set()


def dev(prefix, port_id):
    return (prefix + port_id)[:14]


def ensure_port(ns, name, cidrs):
    links = sh("ip", "netns", "exec", ns, "ip", "-o", "link", "show", check=False)
    if f" {name}:" not in links and f" {name}@" not in links:
        tap = "tap" + name[3:]
        sh("ip", "link", "del", tap, check=False)
        sh("ip", "link", "add", name, "type", "veth", "peer", "name", tap)
        sh("ip", "link", "set", name, "netns", ns)
        sh("ip", "link", "set", tap, "up")
    have = sh("ip", "netns", "exec", ns, "ip", "-o", "-4", "addr", "show", "dev", name, check=False)
    for c in cidrs:
        if f" {c} " not in have:
            sh("ip", "netns", "exec", ns, "ip", "addr", "add", c, "dev", name)
    sh("ip", "netns", "exec", ns, "ip", "link", "set", name, "up")


def nat_rules(qg, gw_ip, fips):
    w = CHAIN
    lines = ["*nat", ":PREROUTING ACCEPT [0:0]", ":INPUT ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]",
             ":POSTROUTING ACCEPT [0:0]"]
    for c in ("OUTPUT", "POSTROUTING", "PREROUTING", "float-snat", "snat"):
        lines.append(f":{w}-{c} - [0:0]")
    lines.append(":neutron-postrouting-bottom - [0:0]")
    lines += [f"-A PREROUTING -j {w}-PREROUTING", f"-A OUTPUT -j {w}-OUTPUT",
              f"-A POSTROUTING -j {w}-POSTROUTING", "-A POSTROUTING -j neutron-postrouting-bottom",
              "-A neutron-postrouting-bottom -m comment --comment \"Perform source NAT on outgoing traffic.\" "
              f"-j {w}-snat"]
    if qg:
        lines.append(f"-A {w}-POSTROUTING ! -o {qg} -m conntrack ! --ctstate DNAT -j ACCEPT")
    for fip, fixed in fips:
        lines.append(f"-A {w}-PREROUTING -d {fip}/32 -j DNAT --to-destination {fixed}")
        lines.append(f"-A {w}-OUTPUT -d {fip}/32 -j DNAT --to-destination {fixed}")
        lines.append(f"-A {w}-float-snat -s {fixed}/32 -j SNAT --to-source {fip} --random-fully")
    lines.append(f"-A {w}-snat -j {w}-float-snat")
    if qg and gw_ip:
        lines.append(f"-A {w}-snat -o {qg} -j SNAT --to-source {gw_ip} --random-fully")
        lines.append(f"-A {w}-snat -m mark ! --mark 0x2/0xffff -m conntrack --ctstate DNAT "
                     f"-j SNAT --to-source {gw_ip} --random-fully")
    lines.append("COMMIT")
    return "\n".join(lines) + "\n"


class L3Emu(object):
    def __init__(self, host):
        self.host = host
        self.conn = openstack.connect(cloud="lab", api_timeout=60)
        self.agent_id = None

    def get(self, path):
        r = self.conn.network.get(path)
        r.raise_for_status()
        return r.json()

    def find_agent(self):
        ags = self.get(f"/agents?agent_type=L3%20agent&host={self.host}")["agents"]
        self.agent_id = ags[0]["id"] if ags else None
        return self.agent_id

    def schedule(self, routers):
        for r in routers:
            hosting = self.get(f"/routers/{r['id']}/l3-agents")["agents"]
            if not hosting:
                resp = self.conn.network.post(f"/agents/{self.agent_id}/l3-routers",
                                              json={"router_id": r["id"]})
                LOG.info("Scheduled router %s to L3 agent %s: HTTP %s", r["id"], self.agent_id,
                         resp.status_code)

    def sync(self):
        routers = self.get("/routers")["routers"]
        if self.agent_id:
            self.schedule(routers)
            mine = {r["id"] for r in self.get(f"/agents/{self.agent_id}/l3-routers")["routers"]}
        else:
            mine = set()
        subnets = {s["id"]: s for s in self.get("/subnets")["subnets"]}
        summary = []
        nfip = 0
        for r in routers:
            if r["id"] not in mine:
                continue
            ns = f"qrouter-{r['id']}"
            if ns not in netns_list():
                sh("ip", "netns", "add", ns)
                sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
                sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ip_forward=1", check=False)
                LOG.info("Created namespace %s", ns)
            ports = self.get(f"/ports?device_id={r['id']}")["ports"]
            qg = gw_ip = gw_route = None
            for p in ports:
                cidrs = []
                for fi in p["fixed_ips"]:
                    sn = subnets.get(fi["subnet_id"])
                    if sn and sn["ip_version"] == 4:
                        cidrs.append(f"{fi['ip_address']}/{sn['cidr'].split('/')[1]}")
                if p["device_owner"] == "network:router_gateway":
                    qg = dev("qg-", p["id"])
                    ensure_port(ns, qg, cidrs)
                    if cidrs:
                        gw_ip = cidrs[0].split("/")[0]
                        sn = subnets.get(p["fixed_ips"][0]["subnet_id"])
                        gw_route = sn and sn.get("gateway_ip")
                elif p["device_owner"].startswith("network:router_interface"):
                    ensure_port(ns, dev("qr-", p["id"]), cidrs)
            if gw_route:
                sh("ip", "netns", "exec", ns, "ip", "route", "replace", "default", "via", gw_route,
                   "dev", qg, check=False)
            fips = [(f["floating_ip_address"], f["fixed_ip_address"])
                    for f in self.get(f"/floatingips?router_id={r['id']}")["floatingips"]
                    if f.get("fixed_ip_address")]
            nfip += len(fips)
            sh("ip", "netns", "exec", ns, "iptables-restore", inp=nat_rules(qg, gw_ip, fips))
            summary.append(f"{ns} ({r['name']}: qg {gw_ip}, {len(fips)} floating IP)")
        for ns in netns_list():
            if ns.startswith("qrouter-") and ns[len("qrouter-"):] not in mine:
                sh("ip", "netns", "del", ns, check=False)
                LOG.info("Deleted stale namespace %s", ns)
        self.configs = {"agent_mode": "legacy", "routers": len(summary), "floating_ips": nfip,
                        "ex_gw_ports": len(summary), "interfaces": len(summary),
                        "interface_driver": "linuxbridge", "handle_internal_only_routers": True,
                        "log_agent_heartbeats": False}
        status = (f"{len(summary)} router namespace(s) on network1 built from API data: "
                  + "; ".join(summary))
        with open(f"{RUN}/l3emu.status", "w") as f:
            f.write(status + f" (last sync {time.strftime('%H:%M:%S')})\n")
        with open(f"{RUN}/l3emu.synced", "w") as f:
            f.write(json.dumps({"routers": sorted(mine)}) + "\n")
        return status


class L3AgentEndpoint(object):
    """Answers the L3 agent RPC API neutron-server calls/casts on topic l3_agent.

    router_added_to_agent is an RPC *call* (neutron-server waits for the reply),
    the others are casts; every one triggers a resync from the API.
    """
    target = oslo_messaging.Target(version="1.4")

    def __init__(self, kick):
        self.kick = kick

    def _log(self, method, **kw):
        LOG.info("RPC %s %s", method, kw)
        self.kick.set()

    def router_added_to_agent(self, context, payload):
        self._log("router_added_to_agent", payload=payload)

    def router_removed_from_agent(self, context, payload):
        self._log("router_removed_from_agent", payload=payload)

    def routers_updated(self, context, routers=None, **kwargs):
        self._log("routers_updated", routers=routers)

    def routers_updated_on_host(self, context, routers=None, **kwargs):
        self._log("routers_updated_on_host", routers=routers)

    def router_deleted(self, context, router_id=None, **kwargs):
        self._log("router_deleted", router_id=router_id)

    def network_update(self, context, **kwargs):
        pass

    def add_arp_entry(self, context, payload=None):
        pass

    def del_arp_entry(self, context, payload=None):
        pass

    def fipnamespace_delete_on_ext_net(self, context, ext_net_id=None):
        pass


def main():
    args = setup(sys.argv[1:], "neutron-l3-agent")
    state = {
        "binary": "neutron-l3-agent", "host": args.host, "topic": "l3_agent",
        "availability_zone": "nova", "agent_type": "L3 agent",
        "configurations": {"agent_mode": "legacy", "routers": 0, "interface_driver": "linuxbridge",
                           "handle_internal_only_routers": True, "log_agent_heartbeats": False},
    }
    kick = threading.Event()
    target = oslo_messaging.Target(topic="l3_agent", server=args.host)
    server = oslo_messaging.get_rpc_server(
        n_rpc.TRANSPORT, target, [L3AgentEndpoint(kick)], executor="threading",
        serializer=n_rpc.RequestContextSerializer(),
        access_policy=oslo_messaging.DefaultRPCAccessPolicy)
    server.start()
    rep = Reporter(state)

    def report_loop():
        while True:
            rep.report()
            time.sleep(30)

    threading.Thread(target=report_loop, daemon=True).start()
    emu = L3Emu(args.host)
    LOG.info("L3 agent (lab emulation) started on %s", args.host)
    last_status = None
    while True:
        try:
            if not emu.agent_id:
                emu.find_agent()
            status = emu.sync()
            state["configurations"] = emu.configs
            if status != last_status:
                LOG.info("Router sync: %s", status)
                last_status = status
        except Exception:
            LOG.exception("Router sync failed")
        kick.clear()
        for _ in range(20):
            if os.path.exists(f"{RUN}/l3emu.kick"):
                os.unlink(f"{RUN}/l3emu.kick")
                break
            if kick.wait(0.5):
                break


if __name__ == "__main__":
    main()
