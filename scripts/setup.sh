#!/usr/bin/env bash
# Installs what podnet's build, tests and demo need on Debian 12, as root. Idempotent: a second
# run with everything present touches nothing. Debian services that start on install (etcd)
# are kept from starting and disabled: tests and the demo start their own copies on free ports.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages and why: iproute2 (ip -json/-batch, netns), iputils-ping, ethtool (offload off
# for captures), tcpdump + tshark (captures and their decoding), iperf3 (throughput), nftables
# (--ip-masq rules), curl (reading /metrics by hand in a kept demo), containernetworking-plugins
# (the standard CNI plugins podnet chains with and is benchmarked against: portmap, bandwidth,
# tuning, bridge, host-local) with iptables (portmap's rules), golang-go and
# golang-github-appc-cni-dev (the CNI project's libcni, built offline into the test runtime), etcd-server
# and etcd-client (the etcd lease store), openssl (test certificates for etcd TLS),
# g++/make/python3 (node-gyp for the addon), chromium
# (the browser decoder's test, driven by playwright-core; no downloaded browser build), bird2
# (the BGP router podnet's speaker is tested and benchmarked against, run inside namespaces).
packages=(iproute2 iputils-ping ethtool tcpdump tshark iperf3 nftables curl containernetworking-plugins iptables golang-go golang-github-appc-cni-dev etcd-server etcd-client openssl g++ make python3 chromium bird2)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: need root to install Debian packages: ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Keep invoke-rc.d from starting services during the install (Debian's policy-rc.d hook).
  policy=/usr/sbin/policy-rc.d
  had_policy=0
  [ -e "$policy" ] && had_policy=1
  if [ "$had_policy" -eq 0 ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Where systemd runs, the packaged etcd and bird units must stay off: tests start their own.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl disable --now etcd.service bird.service >/dev/null 2>&1 || true
fi

# npm ci only when the lock file changed since the last install (it wipes node_modules).
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.podnet-lock-sha256
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
  echo "setup: npm ci"
  # Native packages build against this machine's Node headers; never download them.
  node_prefix=$(dirname "$(dirname "$(command -v node)")")
  [ -d "$node_prefix/include/node" ] && export npm_config_nodedir="$node_prefix"
  npm ci --no-audit --no-fund
  echo "$lock_hash" >"$stamp"
fi
echo "setup: ready"
