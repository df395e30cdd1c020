"""Keystone catalog and users for the lab (run once after keystone-manage bootstrap).

usage: bootstrap.py <controller ip> <service password> <demo password> <region>
Uses the 'lab' cloud from OS_CLIENT_CONFIG_FILE. List+filter lookups only
(keystone logs every 404 as an ERROR with a traceback).
"""
import sys
import time

import openstack

ctl, svc_pass, demo_pass, region = sys.argv[1:5]

for attempt in range(60):
    try:
        conn = openstack.connect(cloud="lab")
        conn.identity.get_token()  # noqa
        break
    except Exception as exc:  # keystone behind apache still starting
        print("waiting for keystone:", exc)
        time.sleep(1)
else:
    sys.exit("keystone does not answer")


def project(name, desc):
    for p in conn.identity.projects(name=name):
        return p
    return conn.identity.create_project(name=name, domain_id="default", description=desc)


def user(name, password, proj):
    for u in conn.identity.users(name=name):
        return u
    return conn.identity.create_user(name=name, password=password, domain_id="default",
                                     default_project_id=proj.id)


def role(name):
    for r in conn.identity.roles(name=name):
        return r
    return conn.identity.create_role(name=name)


def grant(r, u, p):
    conn.identity.assign_project_role_to_user(p, u, r)


service = project("service", "Service project")
demo = project("demo", "Demo member project")
admin_role, member_role, reader_role = role("admin"), role("member"), role("reader")
for svc in ("nova", "placement", "glance", "neutron"):
    u = user(svc, svc_pass, service)
    grant(admin_role, u, service)
    grant(role("service"), u, service)
d = user("demo", demo_pass, demo)
grant(member_role, d, demo)
grant(reader_role, d, demo)

services = [
    ("nova", "compute", "OpenStack Compute", f"http://{ctl}:8774/v2.1"),
    ("placement", "placement", "Placement API", f"http://{ctl}:8778"),
    ("glance", "image", "OpenStack Image", f"http://{ctl}:9292"),
    ("neutron", "network", "OpenStack Networking", f"http://{ctl}:9696"),
]
existing = {s.type: s for s in conn.identity.services()}
for name, stype, desc, url in services:
    s = existing.get(stype) or conn.identity.create_service(name=name, type=stype, description=desc)
    have = {e.interface for e in conn.identity.endpoints(service_id=s.id)}
    for iface in ("public", "internal", "admin"):
        if iface not in have:
            conn.identity.create_endpoint(service_id=s.id, interface=iface, url=url, region_id=region)
print("catalog ok:", [s[1] for s in services])
