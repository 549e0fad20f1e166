#!/usr/bin/env bash
# Runs a command inside a network namespace made for this run, so WebRTC traffic cannot leave it.
#
# libwebrtc ignores loopback interfaces when it gathers ICE candidates, so a namespace with only `lo`
# cannot carry WebRTC media (measured: rtc-node's connect times out). The namespace therefore gets a
# veth pair whose both ends stay inside it; livekit-server advertises the veth address
# (NETNS_NODE_IP) and every packet between the agent, the caller and the server stays in the
# namespace. IPv6 is off there so no link-local candidates are gathered either.
set -euo pipefail
if [ $# -eq 0 ]; then echo "usage: $0 COMMAND [ARGS...]" >&2; exit 2; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "run-in-netns: creating a network namespace needs root (ip netns add): run as root" >&2
  exit 1
fi
command -v ip >/dev/null || { echo "run-in-netns: 'ip' (iproute2) is missing: run infra/install.sh" >&2; exit 1; }

ns="lkva-$$"
node_ip="10.200.0.1"
cleanup() { ip netns del "$ns" 2>/dev/null || true; }
trap cleanup EXIT INT TERM

ip netns add "$ns"
ip -n "$ns" link set lo up
ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n "$ns" link add veth0 type veth peer name veth1
ip -n "$ns" addr add "$node_ip/24" dev veth0
ip -n "$ns" link set veth0 up
ip -n "$ns" link set veth1 up

status=0
NETNS_NAME="$ns" NETNS_NODE_IP="$node_ip" ip netns exec "$ns" "$@" || status=$?
exit "$status"
