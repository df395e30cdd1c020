# Shared settings for lab/lab (root namespace) and lab/lab-service (inside a host).
# Sourced, not executed. Only lab addresses (198.18.0.0/15) and 127.0.0.0/8 are ever used.

LAB_HOSTS=(controller compute1 compute2 network1 bulk1)
declare -A LAB_IP=(
  [controller]=198.18.0.10
  [compute1]=198.18.0.11
  [compute2]=198.18.0.12
  [network1]=198.18.0.13
  [bulk1]=198.18.0.14
)
LAB_BRIDGE=osl-br0          # bridge in the root namespace
LAB_BRIDGE_IP=198.18.0.1    # root namespace's address on the bridge (/24)
LAB_NS_PREFIX=osl-          # host namespaces: osl-controller, osl-compute1, ...
LAB_CTL_IP=198.18.0.10
# Second, controller-only link: compute2's sshd also listens on 198.19.0.2,
# reachable only from the controller (198.19.0.1) -> alias compute2-jump.
LAB_MGMT_CTL_IP=198.19.0.1
LAB_MGMT_C2_IP=198.19.0.2

# Credentials (a throw-away lab; never reused elsewhere)
LAB_ADMIN_PASS=admin
LAB_DEMO_PASS=demo
LAB_DB_USER=openstack
LAB_DB_PASS=labdb
LAB_SVC_PASS=labsvc
LAB_RABBIT_USER=guest   # loopback_users = none in rabbitmq.conf
LAB_RABBIT_PASS=guest
LAB_REGION=RegionOne

# Real virt: compute1 and compute2 (nova's libvirt driver, real guests). bulk1: nova's fake driver, for bulk seeds.
LAB_REAL_COMPUTES=(compute1 compute2)
LAB_BULK_HOST=bulk1

# Services per host, in start order (sshd is the host itself, managed by lab/lab)
lab_services() {
  case "$1" in
    controller) echo "mariadb rabbitmq keystone placement glance-api neutron-server nova-api nova-conductor nova-scheduler" ;;
    compute1|compute2) echo "virtlogd libvirtd linuxbridge-agent nova-compute" ;;
    network1) echo "linuxbridge-agent l3-agent" ;;
    bulk1) echo "nova-compute" ;;   # fake driver: cheap servers for seed-bulk (forced host only)
  esac
}

# TCP port a service answers on (empty: checked by pid only / other means)
lab_service_port() {
  case "$1" in
    mariadb) echo 3306 ;; rabbitmq) echo 5672 ;; keystone) echo 5000 ;;
    placement) echo 8778 ;; glance-api) echo 9292 ;; neutron-server) echo 9696 ;;
    nova-api) echo 8774 ;; sshd) echo 22 ;;
    libvirtd) [ "${2:-}" = compute1 ] && echo 16509 || true ;;
    *) ;;
  esac
}

lab_pid_alive() { # pid
  [ -n "${1:-}" ] && [ -d "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

lab_tcp_open() { # ip port
  timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}
