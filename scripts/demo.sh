#!/usr/bin/env bash
# README's main command: a three-node cluster on one machine, in network namespaces, on the
# embedded store. Each node runs `podnet agent`: the agents lease subnets from one SQLite store,
# write Flannel's subnet file, learn each other's leases and program the data path. podnet's CNI
# plugin is installed (`podnet cni install`, to a temp dir) and called as a runtime calls it for two
# pods per node — nodes 1 and 2 in bridge mode (cni0, Flannel style), node 3 in routed mode (cali
# veths, Calico style) unless --cni-mode picks one — through each node's agent socket. Every pod
# then pings and opens a TCP connection to every pod on the other nodes, printed as a matrix; the
# demo fails if any pair cannot talk. The pods are removed with the plugin's DEL at the end. Last, a pod-to-pod ping is captured on the underlay and decoded by the Wasm
# core (the pods' packets inside VXLAN, Flannel UDP or IPIP), every checksum verified.
#
#   npm run demo -- [--backend vxlan|host-gw|udp] [--userspace] [--cni-mode bridge|routed] [--keep]
#   npm run demo -- --mode calico [--ipip Always|CrossSubnet] [--keep]
#
# --mode calico runs the agents in Calico mode instead: an IPPool applied with `podnet apply`, /26
# blocks per node from the store, routes exchanged by the BGP node-to-node mesh, routed pods (cali
# veths) with addresses from the node's block; it prints node1's routes, `podnet status` and
# `podnet ipam show --show-blocks`, and the captured ping is plain IPv4 (no encapsulation).
# --ipip Always|CrossSubnet sets the pool's ipipMode and puts node3 on a second segment
# (198.18.1.0/24) behind a router: the ping captured goes to a pod on node3, IPv4-in-IPv4 through
# tunl0 (in userspace when the kernel has no ipip module); with CrossSubnet nodes 1 and 2 still
# talk plain IPv4 on their shared segment.
#
# --userspace runs vxlan through TUN and the Wasm core instead of the kernel VTEP; --keep leaves the
# cluster up to explore and prints how to remove it. Everything lives in namespaces named
# pn-demo-<pid>-* and is removed on exit (Ctrl-C and failure too); every process started here is
# stopped by its PID.
set -euo pipefail
cd "$(dirname "$0")/.."
backend=vxlan
plane=flannel
userspace=()
keep=false
cni_modes=(bridge bridge routed)
ipip=Never
while [ $# -gt 0 ]; do
  case "$1" in
    --backend) backend=${2:-}; shift 2 ;;
    --mode)
      case "${2:-}" in flannel | calico) plane=$2 ;; *) echo "demo: --mode must be flannel or calico" >&2; exit 2 ;; esac
      shift 2 ;;
    --cni-mode)
      case "${2:-}" in bridge | routed) cni_modes=("$2" "$2" "$2") ;; *) echo "demo: --cni-mode must be bridge or routed" >&2; exit 2 ;; esac
      shift 2 ;;
    --ipip)
      case "${2:-}" in Always | CrossSubnet | Never) ipip=$2 ;; *) echo "demo: --ipip must be Always, CrossSubnet or Never" >&2; exit 2 ;; esac
      shift 2 ;;
    --userspace) userspace=(--userspace); shift ;;
    --keep) keep=true; shift ;;
    vxlan | host-gw | udp) backend=$1; shift ;;
    *) echo "demo: unknown argument '$1' (use --mode flannel|calico, --ipip Always|CrossSubnet, --backend vxlan|host-gw|udp, --userspace, --cni-mode bridge|routed, --keep)" >&2; exit 2 ;;
  esac
done
case "$backend" in vxlan | host-gw | udp) ;; *) echo "demo: backend must be vxlan, host-gw or udp, not '$backend'" >&2; exit 2 ;; esac
mode="$backend${userspace:+ (userspace)}"
[ "$ipip" = Never ] || [ "$plane" = calico ] || { echo "demo: --ipip is Calico mode's: add --mode calico" >&2; exit 2; }
if [ "$plane" = calico ]; then mode="Calico mode, BGP mesh, no encapsulation"; cni_modes=(routed routed routed); fi
[ "$ipip" = Never ] || mode="Calico mode, BGP mesh, IPIP $ipip"
# Node addresses: with IPIP, node3 lives on a second segment behind a router (the underlay namespace).
node_ips=(198.18.0.1 198.18.0.2 198.18.0.3)
[ "$ipip" = Never ] || node_ips=(198.18.0.1 198.18.0.2 198.18.1.3)
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

# The underlay: a bridge in its own namespace, one veth to each node (198.18.0.1–3). With --ipip a
# second bridge (198.18.1.0/24) holds node3, and the underlay namespace routes between the two.
underlay="${prefix}lan"
ip netns add "$underlay"
for bridge in br0 br1; do
  ip -n "$underlay" link add "$bridge" type bridge
  ip -n "$underlay" link set "$bridge" up
done
if [ "$ipip" != Never ]; then
  ip -n "$underlay" addr add 198.18.0.254/24 dev br0
  ip -n "$underlay" addr add 198.18.1.254/24 dev br1
  ip netns exec "$underlay" sysctl -qw net.ipv4.ip_forward=1
fi
for node in 1 2 3; do
  namespace="${prefix}node$node"
  address=${node_ips[$((node - 1))]}
  bridge=br0
  [ "${address%.*}" = 198.18.1 ] && bridge=br1
  ip netns add "$namespace"
  ip -n "$namespace" link set lo up
  ip -n "$namespace" link add eth0 type veth peer name "port$node" netns "$underlay"
  ip -n "$underlay" link set "port$node" master "$bridge" up
  ip -n "$namespace" addr add "$address/24" dev eth0
  ip -n "$namespace" link set eth0 up
  [ "$ipip" = Never ] || ip -n "$namespace" route add default via "${address%.*}.254"
  ip netns exec "$namespace" ethtool -K eth0 tx off >/dev/null
done

if [ "$plane" = calico ]; then
  echo "demo: podnet apply -f pool.yaml (a Calico v3 IPPool, as Calico's docs write it)"
  printf 'apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: default-ipv4-ippool\nspec:\n  cidr: 10.244.0.0/16\n  ipipMode: %s\n  natOutgoing: false\n' "$ipip" >"$work/pool.yaml"
  dist/podnet apply -f "$work/pool.yaml" --store-path "$work/store.db" | sed 's/^/  /'
fi

echo "demo: starting podnet agent ($mode) on three nodes (embedded store $work/store.db)"
for node in 1 2 3; do
  mkdir -p "$work/node$node"
  if [ "$plane" = calico ]; then
    # --rt-protos-dir: the demo leaves the machine's /etc alone (ip route shows proto 107, not podnet).
    ip netns exec "${prefix}node$node" dist/podnet agent --mode calico --node-name "node$node" --store sqlite --store-path "$work/store.db" \
      --rt-protos-dir "$work/rt_protos.d" \
      --iface eth0 --public-ip "${node_ips[$((node - 1))]}" --cni-socket "$work/node$node/cni.sock" --bgp-control "$work/node$node/bgp.ctl" \
      --reconcile-interval 5 >"$work/node$node.log" 2>&1 &
  else
    ip netns exec "${prefix}node$node" dist/podnet agent "${userspace[@]}" --store sqlite --store-path "$work/store.db" \
      --iface eth0 --public-ip "198.18.0.$node" --subnet-file "$work/node$node/subnet.env" --cni-socket "$work/node$node/cni.sock" \
      --network-config "{\"Network\":\"10.244.0.0/16\",\"SubnetLen\":24,\"Backend\":{\"Type\":\"$backend\"}}" \
      --reconcile-interval 5 >"$work/node$node.log" 2>&1 &
  fi
  pids+=($!)
done

if [ "$plane" = calico ]; then
  established() { dist/podnet status --bgp-control "$work/node$1/bgp.ctl" 2>/dev/null | grep -c Established || true; }
  for _ in $(seq 150); do
    [ "$(established 1)" -eq 2 ] && [ "$(established 2)" -eq 2 ] && [ "$(established 3)" -eq 2 ] && break
    sleep 0.1
  done
  for node in 1 2 3; do
    [ "$(established "$node")" -eq 2 ] || { echo "demo: node$node has $(established "$node") of 2 BGP sessions up" >&2; tail -5 "$work/node$node.log" >&2; exit 1; }
  done
  echo "demo: the BGP mesh is up: every node has both others as Established peers"
fi

for _ in $(seq 100); do
  [ "$plane" = calico ] && break
  [ "$(grep -c "peer added" "$work"/node*.log 2>/dev/null | awk -F: '{s += $2} END {print s + 0}')" -ge 6 ] && break
  sleep 0.1
done
if [ "$plane" = flannel ]; then
  echo "demo: the lease table every agent sees (podnet status):"
  dist/podnet status --store sqlite --store-path "$work/store.db" | sed 's/^/  /'
  for node in 1 2 3; do
    echo "demo: node$node $(tr '\n' ' ' <"$work/node$node/subnet.env")"
    echo "      peers learned: $(grep -o 'peer added.*' "$work/node$node.log" | wc -l)"
  done
  added=$(grep -c "peer added" "$work"/node*.log | awk -F: '{s += $2} END {print s + 0}')
  [ "$added" -eq 6 ] || { echo "demo: expected every node to learn both others (6 peer additions), saw $added" >&2; exit 1; }
fi

# The CNI plugin, installed as Flannel's and Calico's installers do, but into the demo's own dirs:
# one client binary (bin/podnet) and podnet-standalone, and per node a conflist that names that
# node's agent socket, subnet file and IPAM directory.
echo "demo: installing the CNI plugin (podnet cni install) and adding two pods per node through it"
for node in 1 2 3; do
  ipam=()
  [ "$plane" = calico ] && ipam=(--ipam blocks --node-name "node$node" --store-path "$work/store.db")
  dist/podnet cni install --bin-dir "$work/cni/bin" --conf-dir "$work/node$node/net.d" --mode "${cni_modes[$((node - 1))]}" "${ipam[@]}" \
    --agent-socket "$work/node$node/cni.sock" --subnet-file "$work/node$node/subnet.env" --data-dir "$work/node$node/ipam" >/dev/null
done
# A runtime hands each plugin of the list its own object plus the list's name and cniVersion.
plugin_config() {
  node -e 'const list = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    process.stdout.write(JSON.stringify({ cniVersion: list.cniVersion, name: list.name, ...list.plugins[0] }));' "$work/node$1/net.d/10-podnet.conflist"
}
cni() { # cni COMMAND NODE POD → the plugin's stdout; fails the demo on a CNI error
  plugin_config "$2" | CNI_COMMAND=$1 CNI_CONTAINERID="demo-$3" CNI_NETNS="/var/run/netns/$3" CNI_IFNAME=eth0 CNI_PATH="$work/cni/bin" \
    ip netns exec "${prefix}node$2" "$work/cni/bin/podnet"
}
pods=()
for node in 1 2 3; do
  for host in a b; do
    pod="${prefix}pod$node$host"
    ip netns add "$pod"
    result=$(cni ADD "$node" "$pod") || { echo "demo: CNI ADD for $pod failed: $result" >&2; exit 1; }
    address=$(node -e 'const r = JSON.parse(process.argv[1]); process.stdout.write(r.ips[0].address.split("/")[0])' "$result")
    echo "  node$node ${cni_modes[$((node - 1))]}: $pod → $address ($(node -e 'const r = JSON.parse(process.argv[1]); process.stdout.write(r.interfaces.filter((i) => !i.sandbox).map((i) => i.name).join(" + ") + " ⇄ eth0")' "$result"))"
    pods+=("$node:$pod:$address")
  done
done

if [ "$plane" = calico ]; then
  # Each node: a blackhole for its block and a route to each other node's block (proto 107).
  for _ in $(seq 100); do
    ready=0
    for node in 1 2 3; do [ "$(ip -n "${prefix}node$node" route show proto 107 | wc -l)" -eq 3 ] && ready=$((ready + 1)); done
    [ "$ready" -eq 3 ] && break
    sleep 0.1
  done
  [ "$ready" -eq 3 ] || { echo "demo: not every node has its blackhole and both remote block routes" >&2; exit 1; }
  echo "demo: node1's routing table (ip route): remote /26 blocks via their nodes (through tunl0 where IPIP applies), a blackhole for its own block, a /32 per pod's cali veth"
  ip -n "${prefix}node1" route show | sed 's/^/  /'
  echo "demo: podnet status on node1 (calicoctl node status's shape):"
  dist/podnet status --bgp-control "$work/node1/bgp.ctl" | sed 's/^/  /'
  echo "demo: podnet ipam show --show-blocks:"
  dist/podnet ipam show --show-blocks --store-path "$work/store.db" | sed 's/^/  /'
fi

# A TCP echo server in every pod (scripts/demo-tcp.mjs), for the TCP half of the check.
for entry in "${pods[@]}"; do
  pod=${entry#*:}; pod=${pod%%:*}
  ip netns exec "$pod" node scripts/demo-tcp.mjs serve >"$work/$pod.tcp.log" 2>&1 &
  pids+=($!)
done
for entry in "${pods[@]}"; do
  pod=${entry#*:}; pod=${pod%%:*}
  for _ in $(seq 50); do grep -q listening "$work/$pod.tcp.log" && break; sleep 0.1; done
done

echo "demo: ping and TCP (200 kB echoed) between every pair of pods on different nodes ($mode)"
printf '  %-14s' "from \\ to"; for target in "${pods[@]}"; do printf ' %-13s' "${target##*:}"; done; echo
failed=0
for source in "${pods[@]}"; do
  printf '  %-14s' "${source##*:}"
  for target in "${pods[@]}"; do
    if [ "${source%%:*}" = "${target%%:*}" ]; then printf ' %-13s' "(same node)"; continue; fi
    pod=${source#*:}; pod=${pod%%:*}
    cell=""
    if ip netns exec "$pod" ping -c 1 -W 2 "${target##*:}" >/dev/null 2>&1; then cell="ping ok"; else cell="ping FAIL"; failed=$((failed + 1)); fi
    if ip netns exec "$pod" node scripts/demo-tcp.mjs check "${target##*:}" >/dev/null 2>&1; then cell="$cell,tcp"; else cell="$cell,TCP FAIL"; failed=$((failed + 1)); fi
    printf ' %-13s' "$cell"
  done
  echo
done
[ "$failed" -eq 0 ] || { echo "demo: $failed pod-pair checks failed" >&2; exit 1; }

first=${pods[0]#*:}; first=${first%%:*}
target=${pods[2]##*:}
[ "$ipip" = Never ] || target=${pods[4]##*:} # a pod on node3, across the router: through the tunnel
echo "demo: ping $target from a pod on node1, capturing on node1's underlay eth0"
a="${prefix}node1"
ip netns exec "$a" tcpdump -Z root -i eth0 -nn -U --immediate-mode -w "$work/ping.pcap" "icmp or ip proto 4 or (udp port 8472 or udp port 8285)" 2>"$work/tcpdump.log" &
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
if [ "$ipip" != Never ]; then
  tunnelled=$(dist/podnet packet decode --brief -r "$work/ping.pcap" | grep -c " IPIP " || true)
  [ "$tunnelled" -eq "$frames" ] || { echo "demo: expected every frame to node3's pod to be IPv4-in-IPv4, $tunnelled of $frames were" >&2; exit 1; }
fi
echo "demo: $frames frames, every IPv4 and ICMP checksum good"

if ! $keep; then
  echo "demo: removing the pods with the plugin's DEL"
  for entry in "${pods[@]}"; do
    pod=${entry#*:}; pod=${pod%%:*}
    cni DEL "${entry%%:*}" "$pod" >/dev/null || { echo "demo: CNI DEL for $pod failed" >&2; exit 1; }
  done
  if [ "$plane" = calico ]; then
    # With IPIP each node's tunl0 keeps the address it holds (IPAM handle ipip-tunnel-addr-<node>).
    held=0
    [ "$ipip" = Never ] || held=3
    dist/podnet ipam show --store-path "$work/store.db" | grep -q "| $held (0%) " || { echo "demo: addresses left in the pool after DEL (want $held):" >&2; dist/podnet ipam show --store-path "$work/store.db" >&2; exit 1; }
  else
    left=$(find "$work"/node*/ipam/podnet -name '10.*' | wc -l)
    [ "$left" -eq 0 ] || { echo "demo: $left address reservations left after DEL" >&2; exit 1; }
  fi
  if [ "$ipip" = Never ]; then echo "demo: every pod removed, every address released"; else echo "demo: every pod removed, every pod address released (the three tunl0 addresses stay)"; fi
fi

if $keep; then
  # Leave it all running: hand the PIDs and namespaces to a cleanup script instead of the trap.
  {
    echo "#!/usr/bin/env bash"
    echo "# Removes the demo cluster $prefix*: its processes by PID, then its namespaces."
    for pid in "${pids[@]}"; do echo "kill $pid 2>/dev/null || true"; done
    echo "sleep 0.5"
    for namespace in $(ip netns list | awk '{print $1}' | grep "^$prefix"); do echo "ip netns del $namespace"; done
    echo "rm -rf $work"
  } >"$work/cleanup.sh"
  trap - EXIT
  echo
  echo "demo: left running (--keep). Explore it, e.g.:"
  echo "  ip netns list | grep $prefix"
  echo "  ip netns exec ${prefix}node1 ip route                      # node1's routes (podnet's: proto 107)"
  echo "  ip netns exec ${prefix}node3 ip route                      # routed mode: a /32 per pod via its cali veth"
  echo "  ls $work/node1/ipam/podnet                                  # IPAM reservations, host-local's format"
  echo "  ip netns exec $first ping $target"
  echo "  ip netns exec ${prefix}node1 curl -s 127.0.0.1:9808/metrics | grep podnet_"
  echo "  dist/podnet status --store sqlite --store-path $work/store.db"
  echo "  tail -f $work/node1.log"
  echo "Remove it all with: bash $work/cleanup.sh"
fi
