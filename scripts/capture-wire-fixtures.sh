#!/usr/bin/env bash
# Regenerates test/fixtures/wire/*.hex: real frames captured between two namespaces this script
# makes — ARP, ping, UDP and TCP over a plain veth (198.18.0.1 ⇄ 198.18.0.2), and the same over
# a kernel VXLAN device (VNI 1, port 8472, 10.244.0.1 ⇄ 10.244.0.2) riding that veth. Checksum
# offload is off on every device, so the capture holds the checksums the wire carries.
# Output: one frame per line as hex, in capture order, in $FIXTURE_DIR (default
# test/fixtures/wire); with KEEP_PCAP=1 the captures themselves too (veth.pcap, vxlan.pcap).
# Root only; cleans up after itself.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${FIXTURE_DIR:-test/fixtures/wire}
mkdir -p "$out"
prefix="pn-fix-$$-"
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for namespace in $(ip netns list | awk '{print $1}' | grep "^$prefix" || true); do ip netns del "$namespace"; done
  rm -rf "$work"
}
trap cleanup EXIT

a="${prefix}a"; b="${prefix}b"
ip netns add "$a"; ip netns add "$b"
ip -n "$a" link add eth0 type veth peer name eth0 netns "$b"
index=1
for namespace in "$a" "$b"; do
  ip -n "$namespace" link set lo up
  # Fixed MACs make the fixtures reproducible; no IPv6, so no router solicitations in them.
  ip netns exec "$namespace" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$namespace" link set eth0 address "02:00:c6:12:00:0$index"
  ip -n "$namespace" addr add "198.18.0.$index/24" dev eth0
  ip -n "$namespace" link set eth0 up
  ip -n "$namespace" link add vx0 address "02:00:0a:f4:00:0$index" type vxlan id 1 dstport 8472 local "198.18.0.$index" dev eth0 nolearning
  ip -n "$namespace" addr add "10.244.0.$index/24" dev vx0
  ip -n "$namespace" link set vx0 up
  ip netns exec "$namespace" ethtool -K eth0 tx off >/dev/null
  ip netns exec "$namespace" ethtool -K vx0 tx off >/dev/null
  index=$((index + 1))
done
ip netns exec "$a" bridge fdb append 00:00:00:00:00:00 dev vx0 dst 198.18.0.2
ip netns exec "$b" bridge fdb append 00:00:00:00:00:00 dev vx0 dst 198.18.0.1

capture() { # name, then the commands to run while capturing on a's eth0
  local name=$1; shift
  ip netns exec "$a" tcpdump -Z root -i eth0 -nn -U --immediate-mode -w "$work/$name.pcap" 2>"$work/$name.log" &
  local tcpdump_pid=$!
  for _ in $(seq 50); do grep -q "listening on" "$work/$name.log" && break; sleep 0.1; done
  "$@"
  sleep 0.3
  kill "$tcpdump_pid"; wait "$tcpdump_pid" 2>/dev/null || true
  tcpdump -r "$work/$name.pcap" -nn -xx 2>/dev/null | awk '
    /^[0-9]/ { if (frame != "") print frame; frame = ""; next }
    /^\t0x/ { for (i = 2; i <= NF; i++) if ($i ~ /^[0-9a-f]+$/ && length($i) <= 4) frame = frame $i }
    END { if (frame != "") print frame }' >"$out/$name.hex"
  if [ -n "${KEEP_PCAP:-}" ]; then cp "$work/$name.pcap" "$out/"; fi
  echo "fixtures: $name: $(wc -l <"$out/$name.hex") frames"
}

underlay() {
  ip netns exec "$a" ping -c 2 -i 0.2 198.18.0.2 >/dev/null
  ip netns exec "$a" node scripts/fixtures/traffic.mjs send 198.18.0.2
}
overlay() {
  ip netns exec "$a" ping -c 2 -i 0.2 10.244.0.2 >/dev/null
  ip netns exec "$a" node scripts/fixtures/traffic.mjs send 10.244.0.2
}

ip netns exec "$b" node scripts/fixtures/traffic.mjs serve 198.18.0.2 & pids+=($!)
ip netns exec "$b" node scripts/fixtures/traffic.mjs serve 10.244.0.2 & pids+=($!)
sleep 0.5
capture veth underlay
capture vxlan overlay
