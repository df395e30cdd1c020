"""Small lab checks against the API (run in the root namespace).

  labctl.py computes-ready <epoch> host...   exit 0 when nova-compute on every host named
                                             is up with a heartbeat newer than <epoch>
  labctl.py l3-ready <netns dir>             exit 0 when neutron's L3 agent on network1 is alive, hosts
                                             every router, the router's qrouter- namespace is in network1's
                                             /run/netns (<netns dir>) and every associated floating IP is ACTIVE
"""
import os
import datetime
import sys

import openstack


def computes_ready(since, hosts):
    conn = openstack.connect(cloud="lab")
    svcs = conn.compute.get("/os-services?binary=nova-compute",
                            microversion="2.53").json()["services"]
    ok = set()
    for s in svcs:
        if s["state"] != "up" or not s.get("updated_at"):
            continue
        ts = datetime.datetime.fromisoformat(s["updated_at"].split(".")[0]).replace(
            tzinfo=datetime.timezone.utc).timestamp()
        if ts >= since:
            ok.add(s["host"])
    print("computes ready:", sorted(ok))
    return set(hosts) <= ok


def l3_ready(netns_dir):
    conn = openstack.connect(cloud="lab")
    net = conn.network
    agents = net.get("/agents?agent_type=L3%20agent&host=network1").json()["agents"]
    if not agents or not agents[0]["alive"]:
        print("L3 agent on network1 not alive yet")
        return False
    have = set(os.listdir(netns_dir)) if os.path.isdir(netns_dir) else set()
    for r in net.get("/routers").json()["routers"]:
        hosts = [a["host"] for a in net.get(f"/routers/{r['id']}/l3-agents").json()["agents"]]
        if "network1" not in hosts:
            print(f"router {r['name']} not hosted by network1 yet ({hosts})")
            return False
        if f"qrouter-{r['id']}" not in have:
            print(f"qrouter-{r['id']} not in network1's netns yet")
            return False
    for f in net.get("/floatingips").json()["floatingips"]:
        if f.get("port_id") and f["status"] != "ACTIVE":
            print(f"floating IP {f['floating_ip_address']} is {f['status']}")
            return False
    print("L3 ready")
    return True


if __name__ == "__main__":
    if sys.argv[1] == "l3-ready":
        sys.exit(0 if l3_ready(sys.argv[2]) else 1)
    if sys.argv[1] == "computes-ready":
        sys.exit(0 if computes_ready(float(sys.argv[2]), sys.argv[3:] or ["compute1", "compute2"]) else 1)
    sys.exit(2)
