#!/usr/bin/env bash
# Builds the lab's guest image from Debian packages alone (no download from anywhere else), once, into a cache:
#   <cache>/vmlinuz      Debian's cloud kernel (linux-image-*-cloud-amd64: virtio, serial console)
#   <cache>/initrd.img   a tiny initramfs: busybox-static + the virtio modules + an /init that says what it is on
#                        the serial console (ttyS0), then stays alive and says so once a minute
#   <cache>/disk.raw     a 1 MiB root disk (nova needs one; the guest runs from its initramfs)
#   <cache>/version      what it was built from
# Nova boots it as a kernel/ramdisk image (glance properties kernel_id, ramdisk_id, os_command_line), so
# `os-getConsoleOutput` and /var/log/libvirt/qemu/instance-*.log have real content.
# Usage: lab/lab-guest-image.sh <cache dir>      (prints the cache dir; a second run only checks)
set -euo pipefail
OUT=${1:?usage: lab-guest-image.sh <cache dir>}
mkdir -p "$OUT"
if [ -s "$OUT/vmlinuz" ] && [ -s "$OUT/initrd.img" ] && [ -s "$OUT/disk.raw" ] && [ -s "$OUT/version" ]; then
  echo "$OUT"; exit 0
fi
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
cd "$W"
kernel_pkg() { apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-/{print $2; exit}'; }
# apt-get download writes as _apt when it can: give it a folder it may write
chmod 777 "$W"
kpkg=$(kernel_pkg)
if [ -z "$kpkg" ] || ! apt-get -q download busybox-static "$kpkg" > download.log 2>&1; then
  # no lists yet, or lists older than the archive (a superseded kernel): refresh them once
  apt-get -o DPkg::Lock::Timeout=600 update -qq > /dev/null 2>&1 || true
  kpkg=$(kernel_pkg)
  [ -n "$kpkg" ] || { echo "lab-guest-image: no linux-image-cloud-amd64 in apt's lists" >&2; exit 1; }
  apt-get -q download busybox-static "$kpkg" > download.log 2>&1 || { cat download.log >&2; exit 1; }
fi
dpkg-deb -x busybox-static_*.deb bb
dpkg-deb -x "${kpkg}"_*.deb k
kver=$(ls k/lib/modules)
mkdir -p root/bin root/proc root/sys root/dev root/lib/modules
cp bb/bin/busybox root/bin/busybox
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net virtio_blk; do
  f=$(find "k/lib/modules/$kver" -name "$m.ko" | head -n1)
  [ -n "$f" ] && cp "$f" root/lib/modules/
done
cat > root/init <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs dev /dev 2>/dev/null
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net virtio_blk; do
  [ -f /lib/modules/$m.ko ] && insmod /lib/modules/$m.ko 2>/dev/null
done
sleep 1
echo "lab-guest: booted Linux $(uname -r) at $(date -u +%FT%TZ)"
echo "lab-guest: cmdline: $(cat /proc/cmdline)"
echo "lab-guest: memory: $(awk '/MemTotal/{print $2" kB"}' /proc/meminfo)"
for i in $(ls /sys/class/net); do [ "$i" = lo ] || echo "lab-guest: nic $i $(cat /sys/class/net/$i/address)"; done
for d in $(ls /sys/block); do echo "lab-guest: disk $d $(cat /sys/block/$d/size) sectors"; done
echo "lab-guest: ready"
n=0
while true; do sleep 60; n=$((n + 1)); echo "lab-guest: alive $n min"; done
EOF
chmod 755 root/init
(cd root && find . | ./bin/busybox cpio -o -H newc 2>/dev/null) | gzip -9 > initrd.img
cp "k/boot/vmlinuz-$kver" "$OUT/vmlinuz.tmp" && mv "$OUT/vmlinuz.tmp" "$OUT/vmlinuz"
mv initrd.img "$OUT/initrd.img"
truncate -s 1M "$OUT/disk.raw.tmp" && mv "$OUT/disk.raw.tmp" "$OUT/disk.raw"
echo "kernel $kver ($kpkg), busybox-static $(dpkg-deb -f busybox-static_*.deb Version)" > "$OUT/version"
echo "$OUT"
