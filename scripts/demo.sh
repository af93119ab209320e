#!/usr/bin/env bash
# README's main command: a three-node cluster on one machine, in network namespaces, on the
# embedded store. Each node runs `podnet agent` (control plane; the data-plane backends come
# with later work, so the backend is `none`): they lease subnets from one SQLite store, write
# Flannel's subnet file and learn each other's leases. Then the Wasm core checks real traffic:
# a ping between two nodes is captured (checksum offload off) and every IPv4 header and ICMP
# checksum in it is verified by the single executable.
# Everything lives in namespaces named pn-demo-<pid>-* and is removed on exit, also on failure;
# every process started here is stopped by its PID.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run build

prefix="pn-demo-$$-"
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  for namespace in $(ip netns list | awk '{print $1}' | grep "^$prefix" || true); do ip netns del "$namespace"; done
  rm -rf "$work"
}
trap cleanup EXIT

# The underlay: a bridge in its own namespace, one veth to each node (198.18.0.1–3).
underlay="${prefix}lan"
ip netns add "$underlay"
ip -n "$underlay" link add br0 type bridge
ip -n "$underlay" link set br0 up
for node in 1 2 3; do
  namespace="${prefix}node$node"
  ip netns add "$namespace"
  ip -n "$namespace" link set lo up
  ip -n "$namespace" link add eth0 type veth peer name "port$node" netns "$underlay"
  ip -n "$underlay" link set "port$node" master br0 up
  ip -n "$namespace" addr add "198.18.0.$node/24" dev eth0
  ip -n "$namespace" link set eth0 up
  ip netns exec "$namespace" ethtool -K eth0 tx off >/dev/null
done

echo "demo: starting podnet agent on three nodes (embedded store $work/store.db)"
for node in 1 2 3; do
  ip netns exec "${prefix}node$node" dist/podnet agent --store sqlite --store-path "$work/store.db" \
    --iface eth0 --public-ip "198.18.0.$node" --subnet-file "$work/node$node/subnet.env" \
    --network-config '{"Network":"10.244.0.0/16","SubnetLen":24,"Backend":{"Type":"none"}}' \
    --reconcile-interval 5 >"$work/node$node.log" 2>&1 &
  pids+=($!)
done

for _ in $(seq 100); do
  [ "$(grep -c "peer added" "$work"/node*.log 2>/dev/null | awk -F: '{s += $2} END {print s + 0}')" -ge 6 ] && break
  sleep 0.1
done
echo "demo: the lease table every agent sees (podnet status):"
dist/podnet status --store sqlite --store-path "$work/store.db" | sed 's/^/  /'
for node in 1 2 3; do
  echo "demo: node$node $(tr '\n' ' ' <"$work/node$node/subnet.env")"
  echo "      peers learned: $(grep -o 'peer added.*' "$work/node$node.log" | wc -l)"
done
added=$(grep -c "peer added" "$work"/node*.log | awk -F: '{s += $2} END {print s + 0}')
[ "$added" -eq 6 ] || { echo "demo: expected every node to learn both others (6 peer additions), saw $added" >&2; exit 1; }

echo "demo: ping 198.18.0.2 from node1, capturing on its eth0"
a="${prefix}node1"
ip netns exec "$a" tcpdump -Z root -i eth0 -nn -U --immediate-mode -w "$work/ping.pcap" icmp 2>"$work/tcpdump.log" &
tcpdump_pid=$!
pids+=("$tcpdump_pid")
for _ in $(seq 50); do grep -q "listening on" "$work/tcpdump.log" && break; sleep 0.1; done
ip netns exec "$a" ping -c 3 -i 0.2 -W 2 198.18.0.2 | tail -2
sleep 0.5
kill "$tcpdump_pid"; wait "$tcpdump_pid" 2>/dev/null || true

echo "demo: decoding the capture and verifying its checksums with the Wasm core (podnet packet decode --brief)"
dist/podnet packet decode --brief -r "$work/ping.pcap" | sed 's/^/  /'
bad=$(dist/podnet packet decode --json -r "$work/ping.pcap" | grep -c '"checksumStatus":"bad"' || true)
frames=$(dist/podnet packet decode --brief -r "$work/ping.pcap" | wc -l)
[ "$frames" -eq 6 ] && [ "$bad" -eq 0 ] || { echo "demo: expected 6 frames with good checksums, got $frames frames, $bad bad" >&2; exit 1; }
echo "demo: $frames frames, every IPv4 and ICMP checksum good"
