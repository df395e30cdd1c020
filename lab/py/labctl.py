"""Small lab checks against the API (run in the root namespace).

  labctl.py computes-ready <epoch>   exit 0 when nova-compute on compute1 and compute2
                                     is up with a heartbeat newer than <epoch>
"""
import datetime
import sys

import openstack


def computes_ready(since):
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
    return {"compute1", "compute2"} <= ok


if __name__ == "__main__":
    if sys.argv[1] == "computes-ready":
        sys.exit(0 if computes_ready(float(sys.argv[2])) else 1)
    sys.exit(2)
