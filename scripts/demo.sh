#!/usr/bin/env bash
# README's main command: a three-node cluster on one machine, in network namespaces, on the
# embedded store. Each node runs `podnet agent` with a kernel backend (vxlan by default; `npm run
# demo -- host-gw` for the other): the agents lease subnets from one SQLite store, write Flannel's
# subnet file, learn each other's leases and program routes (and VXLAN neighbours/FDB). Two pods
# per node (namespaces on the node's cni0 bridge, made here until the CNI plugin lands) then ping
# every pod on the other nodes, printed as a matrix; the demo fails if any pair cannot talk.
# Last, a pod-to-pod ping is captured on the underlay and decoded by the Wasm core (with vxlan
# the pods' packets inside VXLAN), every checksum verified.
# Everything lives in namespaces named pn-demo-<pid>-* and is removed on exit, also on failure;
# every process started here is stopped by its PID.
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-vxlan}
case "$backend" in vxlan | host-gw) ;; *) echo "demo: backend must be vxlan or host-gw, not '$backend'" >&2; exit 2 ;; esac
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

echo "demo: starting podnet agent ($backend) on three nodes (embedded store $work/store.db)"
for node in 1 2 3; do
  ip netns exec "${prefix}node$node" dist/podnet agent --store sqlite --store-path "$work/store.db" \
    --iface eth0 --public-ip "198.18.0.$node" --subnet-file "$work/node$node/subnet.env" \
    --network-config "{\"Network\":\"10.244.0.0/16\",\"SubnetLen\":24,\"Backend\":{\"Type\":\"$backend\"}}" \
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

# Two pods per node, as the CNI plugin will make them: cni0 holds the subnet's .1, pods get .10, .11.
pods=()
for node in 1 2 3; do
  namespace="${prefix}node$node"
  base=$(sed -n 's/^FLANNEL_SUBNET=\([0-9.]*\)\.1\/24$/\1/p' "$work/node$node/subnet.env")
  mtu=$(sed -n 's/^FLANNEL_MTU=//p' "$work/node$node/subnet.env")
  ip -n "$namespace" link add cni0 type bridge
  ip -n "$namespace" addr add "$base.1/24" dev cni0
  ip -n "$namespace" link set cni0 mtu "$mtu" up
  for host in 10 11; do
    pod="${prefix}pod$node-$host"
    ip netns add "$pod"
    ip -n "$pod" link set lo up
    ip -n "$namespace" link add "veth$host" mtu "$mtu" type veth peer name eth0 netns "$pod"
    ip -n "$namespace" link set "veth$host" master cni0 up
    ip -n "$pod" addr add "$base.$host/24" dev eth0
    ip -n "$pod" link set eth0 up
    ip -n "$pod" route add default via "$base.1"
    pods+=("$node:$pod:$base.$host")
  done
done

echo "demo: ping between every pair of pods on different nodes ($backend)"
printf '  %-14s' "from \\ to"; for target in "${pods[@]}"; do printf ' %-13s' "${target##*:}"; done; echo
failed=0
for source in "${pods[@]}"; do
  printf '  %-14s' "${source##*:}"
  for target in "${pods[@]}"; do
    if [ "${source%%:*}" = "${target%%:*}" ]; then printf ' %-13s' "(same node)"; continue; fi
    pod=${source#*:}; pod=${pod%%:*}
    if ip netns exec "$pod" ping -c 1 -W 2 "${target##*:}" >/dev/null 2>&1; then printf ' %-13s' ok; else printf ' %-13s' FAIL; failed=$((failed + 1)); fi
  done
  echo
done
[ "$failed" -eq 0 ] || { echo "demo: $failed pod pairs could not reach each other" >&2; exit 1; }

first=${pods[0]#*:}; first=${first%%:*}
target=${pods[2]##*:}
echo "demo: ping $target from a pod on node1, capturing on node1's underlay eth0"
a="${prefix}node1"
ip netns exec "$a" tcpdump -Z root -i eth0 -nn -U --immediate-mode -w "$work/ping.pcap" "icmp or udp port 8472" 2>"$work/tcpdump.log" &
tcpdump_pid=$!
pids+=("$tcpdump_pid")
for _ in $(seq 50); do grep -q "listening on" "$work/tcpdump.log" && break; sleep 0.1; done
ip netns exec "$first" ping -c 3 -i 0.2 -W 2 "$target" | tail -2
sleep 0.5
kill "$tcpdump_pid"; wait "$tcpdump_pid" 2>/dev/null || true

echo "demo: decoding the capture and verifying its checksums with the Wasm core (podnet packet decode --brief)"
dist/podnet packet decode --brief -r "$work/ping.pcap" | sed 's/^/  /'
bad=$(dist/podnet packet decode --json -r "$work/ping.pcap" | grep -c '"checksumStatus":"bad"' || true)
frames=$(dist/podnet packet decode --brief -r "$work/ping.pcap" | wc -l)
[ "$frames" -eq 6 ] && [ "$bad" -eq 0 ] || { echo "demo: expected 6 frames with good checksums, got $frames frames, $bad bad" >&2; exit 1; }
echo "demo: $frames frames, every IPv4 and ICMP checksum good"
