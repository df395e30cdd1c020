#!/usr/bin/env bash
# Runs as the first process of a lab host, already inside the host's network
# namespace and a fresh private mount + UTS namespace (see host_start in lab/lab).
# It gives the host its own view of chosen folders (bind mounts listed in
# <host dir>/mounts: "<source> <target>"), a sysfs for its own netns, a hostname,
# and then becomes the host's sshd. Every service of the host is later started
# inside this process's namespaces (nsenter -t <sshd pid> -n -m -u).
set -euo pipefail
H=$1 R=$2
hostname "$H"
# netns-correct /sys (keeps the cgroup mounts): as measured by the libvirt probe
mkdir -p "$R/.cg"
mount --rbind /sys/fs/cgroup "$R/.cg"
mount -t sysfs sysfs /sys
mount --move "$R/.cg" /sys/fs/cgroup
while read -r src dst; do
  [ -n "$src" ] || continue
  mount --bind "$src" "$dst"
done < "$R/mounts"
ip link set lo up
exec /usr/sbin/sshd -D -f "$R/ssh/sshd_config" -E /var/log/sshd.log
