#!/usr/bin/env bash
# Installs the system packages drill's lab and tests need, when missing.
set -euo pipefail
need=()
for p in iptables:iptables nft:nftables conntrack:conntrack ip:iproute2 nsenter:util-linux; do
  command -v "${p%%:*}" >/dev/null 2>&1 || need+=("${p##*:}")
done
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "drill needs these packages: ${need[*]}; install them as root (apt-get install ${need[*]})" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
