#!/usr/bin/env bash
# Runs an agent and the cloud tier in two network namespaces joined by a veth pair, with the agent's
# uplink shaped by tc (tbf for the bandwidth, netem for the delay): a kernel-level alternative to the
# agent's in-process link emulator. Needs root (CAP_NET_ADMIN), iproute2 and the sch_tbf/sch_netem
# modules.
#
#   deploy/agent/netns-link.sh up   <3g|4g|wifi|MBPS> [RTT_MS]   # create bn-dev / bn-cloud, shape the link
#   deploy/agent/netns-link.sh exec <dev|cloud> -- <command...>   # run a command inside one side
#   deploy/agent/netns-link.sh down                               # remove both namespaces
#
# Addresses: device 10.77.0.2, cloud 10.77.0.1. Start the cloud tier with `exec cloud` (gateway listening
# on 10.77.0.1), then the agent with `exec dev` and BOTTLENET_GATEWAY_URL=http://10.77.0.1:<port>.
# The uplink (device -> cloud) is shaped at the device's egress; the downlink gets the other half of the
# delay at the cloud's egress and no bandwidth limit (replies are a few bytes), as the in-process emulator.
set -euo pipefail
DEV=bn-dev CLOUD=bn-cloud

preset() {
  case "$1" in
    3g) echo "1.1 100" ;; 4g) echo "5.85 50" ;; wifi) echo "18.88 10" ;;
    *) [[ "$1" =~ ^[0-9.]+$ ]] || { echo "netns-link: bandwidth must be 3g, 4g, wifi or Mbps, got '$1'" >&2; exit 2; }; echo "$1 ${2:-0}" ;;
  esac
}

up() {
  command -v ip >/dev/null && command -v tc >/dev/null || { echo "netns-link: needs ip and tc (iproute2)" >&2; exit 3; }
  read -r mbps rtt < <(preset "$1" "${2:-}")
  [ -n "${2:-}" ] && rtt="$2"
  trap 'echo "netns-link: setup failed (are the sch_netem and sch_tbf kernel modules available?); removing the namespaces" >&2; down' ERR
  ip netns add $DEV
  ip netns add $CLOUD
  ip link add bn-veth-d type veth peer name bn-veth-c
  ip link set bn-veth-d netns $DEV
  ip link set bn-veth-c netns $CLOUD
  ip -n $DEV addr add 10.77.0.2/24 dev bn-veth-d
  ip -n $CLOUD addr add 10.77.0.1/24 dev bn-veth-c
  for ns in $DEV $CLOUD; do ip -n $ns link set lo up; done
  ip -n $DEV link set bn-veth-d up
  ip -n $CLOUD link set bn-veth-c up
  local half kbit burst
  half=$(awk -v r="$rtt" 'BEGIN { printf "%.3f", r / 2 }')
  kbit=$(awk -v m="$mbps" 'BEGIN { printf "%d", m * 1000 }')
  burst=$(awk -v k="$kbit" 'BEGIN { b = k * 1000 / 8 / 250; if (b < 1600) b = 1600; printf "%d", b }')
  # device egress: netem delay, then a token bucket at the link rate
  tc -n $DEV qdisc add dev bn-veth-d root handle 1: netem delay "${half}ms"
  tc -n $DEV qdisc add dev bn-veth-d parent 1: handle 2: tbf rate "${kbit}kbit" burst "$burst" latency 400ms
  # cloud egress: the other half of the round trip
  tc -n $CLOUD qdisc add dev bn-veth-c root netem delay "${half}ms"
  trap - ERR
  echo "netns-link: $DEV (10.77.0.2) -> $CLOUD (10.77.0.1) at ${mbps} Mbps, RTT ${rtt} ms"
}

down() {
  ip netns del $DEV 2>/dev/null || true
  ip netns del $CLOUD 2>/dev/null || true
}

case "${1:-}" in
  up) shift; up "$@" ;;
  down) down ;;
  exec)
    side="${2:-}"; shift 2; [ "${1:-}" = "--" ] && shift
    case "$side" in dev) exec ip netns exec $DEV "$@" ;; cloud) exec ip netns exec $CLOUD "$@" ;; *) echo "netns-link: exec dev|cloud -- cmd" >&2; exit 2 ;; esac ;;
  *) sed -n '2,16p' "$0"; exit 2 ;;
esac
