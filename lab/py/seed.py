"""Seed the lab cloud (run once by `lab up`), or bulk-create servers.

  seed.py            flavors, the guest image (kernel + ramdisk + disk from
                     LAB_GUEST_DIR), networks, routers, 6 real guests in 2
                     projects, a completed live migration (compute2 -> compute1),
                     a live migration that fails for libvirt's own reason
                     (compute1 -> compute2: compute2's libvirtd does not listen),
                     one refused by the scheduler (target compute disabled), a
                     NoValidHost boot, floating IPs
  seed.py --bulk N   N more m1.tiny servers without network (multi-create) on the
                     fake-driver host LAB_BULK_HOST (forced host; its service is
                     disabled so nothing else lands there)

Uses clouds 'lab' (admin) and 'lab-demo' (member) from OS_CLIENT_CONFIG_FILE.
"""
import io
import os
import sys
import time

import openstack

MV = "2.92"
GUEST_DIR = os.environ.get("LAB_GUEST_DIR", "")
BULK_HOST = os.environ.get("LAB_BULK_HOST", "bulk1")
admin = openstack.connect(cloud="lab")
demo = openstack.connect(cloud="lab-demo")


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def _call(proxy, method, path, **kw):
    # GETs are retried for a while on 5xx / connection errors: other users of the lab
    # may restart MariaDB (the extension's fix flow) while we run
    tries = 30 if method == "get" else 1
    for i in range(tries):
        try:
            r = getattr(proxy, method)(path, **kw)
        except Exception as exc:  # connection refused / reset
            if i == tries - 1:
                raise
            log(f"retry {method} {path}: {exc}")
            time.sleep(2)
            continue
        if r.status_code >= 500 and i < tries - 1:
            log(f"retry {method} {path}: HTTP {r.status_code}")
            time.sleep(2)
            continue
        if r.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {r.status_code} {r.text}")
        return r.json() if r.content else {}


def nova(conn, method, path, **kw):
    return _call(conn.compute, method, path, microversion=kw.pop("mv", MV), **kw)


def neutron(conn, method, path, **kw):
    return _call(conn.network, method, path, **kw)


def wait_server(conn, sid, want=("ACTIVE",), timeout=900):
    end = time.time() + timeout
    while time.time() < end:
        s = nova(conn, "get", f"/servers/{sid}")["server"]
        if s["status"] in want:
            return s
        if s["status"] == "ERROR" and "ERROR" not in want:
            raise RuntimeError(f"server {s['name']} went to ERROR: {s.get('fault')}")
        time.sleep(1)
    raise RuntimeError(f"timeout waiting for {sid} to reach {want}")


def project_id(name):
    for p in admin.identity.projects(name=name):
        return p.id
    raise RuntimeError(name)


def flavor(name, ram, vcpus, disk):
    for f in nova(admin, "get", "/flavors")["flavors"]:
        if f["name"] == name:
            return f["id"]
    return nova(admin, "post", "/flavors", json={"flavor": {
        "name": name, "ram": ram, "vcpus": vcpus, "disk": disk}})["flavor"]["id"]


def _image(name, fmt, path, **props):
    for i in admin.image.images(name=name):
        return i.id
    with open(path, "rb") as f:
        data = f.read()
    img = admin.image.create_image(name=name, disk_format=fmt, container_format="bare",
                                   visibility="public", data=io.BytesIO(data), **props)
    return img.id


def image():
    """The lab guest: Debian's cloud kernel + a busybox initramfs (lab/lab-guest-image.sh), booted by nova's
    libvirt driver as a kernel/ramdisk image; it prints what it is on its serial console."""
    if not GUEST_DIR:
        raise RuntimeError("LAB_GUEST_DIR is not set (lab/lab passes the guest image folder)")
    # raw, not aki/ari: Zed's deep image inspection (Debian's backport) rejects an aki image on a live migration's
    # destination ("Image content does not match disk_format": qemu-img says raw, the check expects aki)
    kernel = _image("lab-kernel", "raw", os.path.join(GUEST_DIR, "vmlinuz"))
    ramdisk = _image("lab-ramdisk", "raw", os.path.join(GUEST_DIR, "initrd.img"))
    return _image("lab-img", "raw", os.path.join(GUEST_DIR, "disk.raw"), kernel_id=kernel, ramdisk_id=ramdisk,
                  os_command_line="console=ttyS0 panic=-1 oops=panic")


def network(conn, name, cidr, gw=None, external=False, extra=None):
    nets = neutron(conn, "get", f"/networks?name={name}")["networks"]
    if nets:
        net = nets[0]
    else:
        # port security off: neutron's ARP-spoofing rules (ebtables --among-src) cannot be deleted through Debian
        # 12's ebtables 1.8.9 nft backend ("RULE_DELETE failed (Invalid argument)") and this kernel has no legacy
        # ebtables nat table; the Linux bridge agent then retries that port for ever and stops reporting new ones
        body = {"name": name, "port_security_enabled": False}
        body.update(extra or {})
        if external:
            body["router:external"] = True
        net = neutron(conn, "post", "/networks", json={"network": body})["network"]
    subs = neutron(conn, "get", f"/subnets?network_id={net['id']}")["subnets"]
    if subs:
        sub = subs[0]
    else:
        sb = {"name": f"{name}-subnet", "network_id": net["id"], "ip_version": 4, "cidr": cidr,
              "enable_dhcp": False}
        if gw:
            sb["gateway_ip"] = gw
        if external:
            sb["allocation_pools"] = [{"start": "172.24.4.100", "end": "172.24.4.200"}]
        sub = neutron(conn, "post", "/subnets", json={"subnet": sb})["subnet"]
    return net, sub


def router(conn, name, ext_net, subnet):
    rs = neutron(conn, "get", f"/routers?name={name}")["routers"]
    if rs:
        return rs[0]
    r = neutron(conn, "post", "/routers", json={"router": {
        "name": name, "external_gateway_info": {"network_id": ext_net["id"]}}})["router"]
    neutron(conn, "put", f"/routers/{r['id']}/add_router_interface",
            json={"subnet_id": subnet["id"]})
    return r


def boot(conn, name, flv, img, net, host=None):
    body = {"name": name, "flavorRef": flv, "imageRef": img, "networks": [{"uuid": net["id"]}]}
    if host:
        body["availability_zone"] = f"nova:{host}"
    return nova(conn, "post", "/servers", json={"server": body})["server"]["id"]


def delete_server(sid):
    nova(admin, "delete", f"/servers/{sid}")
    end = time.time() + 300
    while time.time() < end:
        try:
            nova(admin, "get", f"/servers/{sid}")
        except RuntimeError as exc:
            if " 404 " in str(exc):
                return
            raise
        time.sleep(1)
    raise RuntimeError(f"timeout deleting {sid}")


def wait_guest_ready(sid, timeout=180):
    """Until the guest's init said "lab-guest: ready" on its serial console: a TCG guest live-migrated in the middle of
    its boot came out with a corrupted kernel (list_del corruption, then a CPU-bound spin), so nothing migrates a
    guest that has not finished booting."""
    end = time.time() + timeout
    while time.time() < end:
        out = nova(admin, "post", f"/servers/{sid}/action", json={"os-getConsoleOutput": {"length": 50}}).get("output", "")
        if "lab-guest: ready" in out:
            return
        time.sleep(2)
    raise RuntimeError(f"guest {sid} did not say 'lab-guest: ready' within {timeout}s")


def host_of(sid):
    return nova(admin, "get", f"/servers/{sid}")["server"]["OS-EXT-SRV-ATTR:host"]


def live_migrate(sid, host, expect_ok=True):
    before = {m["id"] for m in nova(admin, "get", f"/os-migrations?instance_uuid={sid}")["migrations"]}
    nova(admin, "post", f"/servers/{sid}/action",
         json={"os-migrateLive": {"host": host, "block_migration": "auto"}})
    end = time.time() + 900  # generous: other users of the lab may keep the computes busy
    while time.time() < end:
        migs = [m for m in nova(admin, "get", f"/os-migrations?instance_uuid={sid}")["migrations"]
                if m["id"] not in before]
        if migs and migs[0]["status"] in ("completed", "error", "failed"):
            s = wait_server(admin, sid)
            log(f"live migration of {s['name']} -> {host}: {migs[0]['status']} "
                f"(now on {s['OS-EXT-SRV-ATTR:host']})")
            if expect_ok and migs[0]["status"] != "completed":
                raise RuntimeError("live migration failed")
            return migs[0]
        time.sleep(1)
    raise RuntimeError("live migration timeout")


def cold_migrate(sid, host):
    nova(admin, "post", f"/servers/{sid}/action", json={"migrate": {"host": host}})
    s = wait_server(admin, sid, want=("VERIFY_RESIZE", "ACTIVE"))
    if s["status"] == "VERIFY_RESIZE":
        nova(admin, "post", f"/servers/{sid}/action", json={"confirmResize": None})
        s = wait_server(admin, sid)
    log(f"cold migration of {s['name']} -> {host}: now on {s['OS-EXT-SRV-ATTR:host']}")


def compute_service(host):
    for s in nova(admin, "get", "/os-services?binary=nova-compute")["services"]:
        if s["host"] == host:
            return s


def seed():
    # the fake-driver bulk host takes forced-host servers only (seed-bulk)
    svc = compute_service(BULK_HOST)
    if svc and svc["status"] != "disabled":
        nova(admin, "put", f"/os-services/{svc['id']}", json={
            "status": "disabled", "disabled_reason": "lab: bulk host (fake driver), forced-host servers only"})
    admin_pid, demo_pid = project_id("admin"), project_id("demo")
    for pid in (admin_pid, demo_pid):
        nova(admin, "put", f"/os-quota-sets/{pid}", json={"quota_set": {
            "instances": -1, "cores": -1, "ram": -1}})
        neutron(admin, "put", f"/quotas/{pid}", json={"quota": {
            "port": -1, "network": -1, "subnet": -1, "router": -1, "floatingip": -1}})
    tiny = flavor("m1.tiny", 96, 1, 1)
    flavor("m1.small", 512, 1, 5)
    huge = flavor("m1.huge", 9000000, 8, 10)
    img = image()
    log("flavors + image ok")
    public, public_sub = network(admin, "public", "172.24.4.0/24", "172.24.4.1", external=True,
                                 extra={"provider:network_type": "flat",
                                        "provider:physical_network": "public"})
    private, private_sub = network(admin, "private", "10.0.0.0/24", "10.0.0.1")
    demo_net, demo_sub = network(demo, "demo-net", "10.0.1.0/24", "10.0.1.1")
    r1 = router(admin, "lab-router", public, private_sub)
    r2 = router(demo, "demo-router", public, demo_sub)
    log("networks + routers ok", r1["id"], r2["id"])

    existing = {s["name"]: s for s in nova(admin, "get", "/servers/detail?all_tenants=1")["servers"]}
    plan = [(admin, "vm1", "compute1"), (admin, "vm2", "compute2"), (admin, "vm3", "compute1"),
            (demo, "demo-vm1", None), (demo, "demo-vm2", None), (demo, "demo-vm3", None)]
    ids = {}
    for conn, name, host in plan:
        if name in existing and existing[name]["status"] == "ERROR":
            # a build interrupted by a restart of the lab (nova puts it in ERROR): boot it again
            log(f"{name} is in ERROR ({(existing[name].get('fault') or {}).get('message')}): booting it again")
            delete_server(existing[name]["id"])
            del existing[name]
        if name in existing:
            ids[name] = existing[name]["id"]
            continue
        net = private if conn is admin else demo_net
        ids[name] = boot(conn, name, tiny, img, net, host)
    for name, sid in ids.items():
        s = wait_server(admin, sid)
        wait_guest_ready(sid)
        log(f"{name} ACTIVE on {s['OS-EXT-SRV-ATTR:host']}, guest ready")
    # every project has servers on both computes (a cold migration: it works both ways)
    demo_hosts = {host_of(ids[n]) for n in ("demo-vm1", "demo-vm2", "demo-vm3")}
    if len(demo_hosts) < 2:
        other = "compute2" if "compute1" in demo_hosts else "compute1"
        cold_migrate(ids["demo-vm3"], other)

    # completed live migration: vm2 compute2 -> compute1 (compute1's libvirtd listens on 16509)
    migs = nova(admin, "get", f"/os-migrations?instance_uuid={ids['vm2']}")["migrations"]
    if not any(m["status"] == "completed" for m in migs):
        live_migrate(ids["vm2"], "compute1")

    # failed live migration, libvirt's own reason: vm1 compute1 -> compute2, whose libvirtd does not listen
    migs = nova(admin, "get", f"/os-migrations?instance_uuid={ids['vm1']}")["migrations"]
    if not any(m["status"] == "error" for m in migs):
        m = live_migrate(ids["vm1"], "compute2", expect_ok=False)
        if m["status"] not in ("error", "failed"):
            raise RuntimeError(f"vm1's live migration to compute2 should fail, got {m['status']}")

    # failed boot: NoValidHost (9 TB of RAM)
    if "vm-huge" not in existing:
        sid = nova(admin, "post", "/servers", json={"server": {
            "name": "vm-huge", "flavorRef": huge, "imageRef": img, "networks": "none"}})["server"]["id"]
        s = wait_server(admin, sid, want=("ERROR",))
        log("vm-huge:", s["status"], (s.get("fault") or {}).get("message"))

    # failed live migration: the target compute is disabled (refused by the scheduler)
    migs = nova(admin, "get", f"/os-migrations?instance_uuid={ids['vm3']}")["migrations"]
    if not any(m["status"] == "error" for m in migs):
        svc = compute_service("compute2")
        nova(admin, "put", f"/os-services/{svc['id']}", json={
            "status": "disabled", "disabled_reason": "lab: maintenance window"})
        try:
            live_migrate(ids["vm3"], "compute2", expect_ok=False)
        finally:
            nova(admin, "put", f"/os-services/{svc['id']}", json={"status": "enabled"})

    # floating IPs
    for conn, name in ((admin, "vm1"), (demo, "demo-vm1")):
        ports = neutron(conn, "get", f"/ports?device_id={ids[name]}")["ports"]
        fips = neutron(conn, "get", f"/floatingips?port_id={ports[0]['id']}")["floatingips"]
        if not fips:
            fip = neutron(conn, "post", "/floatingips", json={"floatingip": {
                "floating_network_id": public["id"], "port_id": ports[0]["id"]}})["floatingip"]
            log(f"floating ip {fip['floating_ip_address']} -> {name} {fip['fixed_ip_address']}")
    log("seed done")


def bulk(n):
    # a disabled compute takes no server, even forced: enable bulk1 while the bulk servers build, then disable it again
    svc = compute_service(BULK_HOST)
    nova(admin, "put", f"/os-services/{svc['id']}", json={"status": "enabled"})
    try:
        _bulk(n)
    finally:
        nova(admin, "put", f"/os-services/{svc['id']}", json={
            "status": "disabled", "disabled_reason": "lab: bulk host (fake driver), forced-host servers only"})


def _bulk(n):
    tiny = flavor("m1.tiny", 96, 1, 1)
    img = next(iter(admin.image.images(name="lab-img"))).id
    existing = sum(1 for s in nova(admin, "get", "/servers?all_tenants=1&name=^bulk-&limit=100000")["servers"])
    t0 = time.time()
    chunk = 200
    made = 0
    while made < n:
        k = min(chunk, n - made)
        nova(admin, "post", "/servers", json={"server": {
            "name": f"bulk-{existing + made:05d}", "flavorRef": tiny, "imageRef": img,
            "networks": "none", "min_count": k, "max_count": k,
            "availability_zone": f"nova:{BULK_HOST}"}})
        made += k
        # let the cloud keep up before the next request
        while True:
            building = nova(admin, "get", "/servers?all_tenants=1&status=BUILD&limit=50")["servers"]
            if len(building) < 50:
                break
            time.sleep(3)
        log(f"requested {made}/{n}")
    while nova(admin, "get", "/servers?all_tenants=1&status=BUILD&limit=1")["servers"]:
        time.sleep(2)
    errors = nova(admin, "get", "/servers?all_tenants=1&status=ERROR&name=^bulk-&limit=100000")["servers"]
    log(f"bulk: {n} servers in {time.time() - t0:.1f}s, {len(errors)} in ERROR")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--bulk":
        bulk(int(sys.argv[2]))
    else:
        seed()
