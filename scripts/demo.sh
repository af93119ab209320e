#!/usr/bin/env bash
# README's main command. Until the data-plane work lands this is the Wasm core's round trip on
# real traffic: two namespaces joined by a veth (198.18.0.1 ⇄ 198.18.0.2), a ping between them
# captured with tcpdump (checksum offload off, so the capture holds real checksums), and every
# captured IPv4 header and ICMP message verified by the single executable's Wasm checksum.
# Everything lives in namespaces named with a per-run prefix and is removed on exit or failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run build

prefix="pn-demo-$$-"
work=$(mktemp -d)
tcpdump_pid=""
cleanup() {
  [ -n "$tcpdump_pid" ] && kill "$tcpdump_pid" 2>/dev/null && wait "$tcpdump_pid" 2>/dev/null
  for namespace in $(ip netns list | awk '{print $1}' | grep "^$prefix" || true); do ip netns del "$namespace"; done
  rm -rf "$work"
}
trap cleanup EXIT
[ -n "${PODNET_DEMO_KEEP:-}" ] && trap - EXIT

a="${prefix}a"; b="${prefix}b"
ip netns add "$a"; ip netns add "$b"
ip -n "$a" link add eth0 type veth peer name eth0 netns "$b"
ip -n "$a" addr add 198.18.0.1/24 dev eth0; ip -n "$b" addr add 198.18.0.2/24 dev eth0
for namespace in "$a" "$b"; do
  ip -n "$namespace" link set lo up; ip -n "$namespace" link set eth0 up
  ip netns exec "$namespace" ethtool -K eth0 tx off >/dev/null
done

echo "demo: ping 198.18.0.2 from namespace $a, capturing on its veth"
ip netns exec "$a" tcpdump -Z root -i eth0 -nn -U --immediate-mode -w "$work/ping.pcap" icmp 2>"$work/tcpdump.log" &
tcpdump_pid=$!
for _ in $(seq 50); do grep -q "listening on" "$work/tcpdump.log" && break; sleep 0.1; done
ip netns exec "$a" ping -c 3 -i 0.2 -W 2 198.18.0.2 | tail -2
sleep 0.5
kill "$tcpdump_pid"; wait "$tcpdump_pid" 2>/dev/null || true; tcpdump_pid=""

# One line of hex per captured frame, from tcpdump's own hex dump.
tcpdump -r "$work/ping.pcap" -nn -xx 2>/dev/null | awk '
  /^[0-9]/ { if (frame != "") print frame; frame = ""; next }
  /^\t0x/ { for (i = 2; i <= NF; i++) if ($i ~ /^[0-9a-f]+$/ && length($i) <= 4) frame = frame $i }
  END { if (frame != "") print frame }' >"$work/frames.hex"

echo "demo: verifying checksums with dist/podnet (Wasm core)"
verified=0
while read -r frame; do
  ip=${frame:28}                                 # after the 14-byte Ethernet header
  header_length=$(( (16#${ip:1:1}) * 4 ))
  total_length=$(( 16#${ip:4:4} ))
  header=${ip:0:$((header_length * 2))}
  icmp=${ip:$((header_length * 2)):$(((total_length - header_length) * 2))}
  source=$(printf '%d.%d.%d.%d' "0x${ip:24:2}" "0x${ip:26:2}" "0x${ip:28:2}" "0x${ip:30:2}")
  ip_result=$(dist/podnet packet checksum --verify "$header")
  icmp_result=$(dist/podnet packet checksum --verify "$icmp")
  echo "  from $source: IPv4 header $ip_result; ICMP $icmp_result"
  verified=$((verified + 1))
done <"$work/frames.hex"
[ "$verified" -eq 6 ] || { echo "demo: expected 6 frames (3 requests, 3 replies), got $verified" >&2; exit 1; }
echo "demo: $verified frames verified"
