#!/usr/bin/env bash
# Installs the system packages drill's lab and tests need, when missing.
set -euo pipefail
need=()
# prometheus: the server that scrapes a run's live metrics in the tests;
# chromium: the headless browser that loads the HTML report in the tests.
for p in iptables:iptables nft:nftables conntrack:conntrack ip:iproute2 nsenter:util-linux \
  runc:runc prometheus:prometheus chromium:chromium; do
  command -v "${p%%:*}" >/dev/null 2>&1 || need+=("${p##*:}")
done
# The lab's nodes: the reference CNI plugins (ptp, host-local).
[ -x /usr/lib/cni/ptp ] || [ -x /opt/cni/bin/ptp ] || need+=(containernetworking-plugins)
# busybox must be the static build: it goes into a scratch image.
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed' || need+=(busybox-static)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "drill needs these packages: ${need[*]}; install them as root (apt-get install ${need[*]})" >&2
  exit 1
fi
# A package's service (prometheus.service) must not start on install: the
# tests run their own server. policy-rc.d tells Debian's maintainer scripts
# so for the length of this install.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
