/** Set by harness/netns/run-in-netns.sh: the address of the namespace's veth interface. */
const NODE_IP_ENV = 'NETNS_NODE_IP';

/** The ICE address of the network namespace this process runs in, if it runs in one. */
export function namespaceNodeIp(): string | undefined {
  return process.env[NODE_IP_ENV] || undefined;
}

/**
 * The same, for what must not run outside it: WebRTC calls are placed only inside a namespace, so
 * their traffic never leaves it.
 */
export function requireNamespaceNodeIp(): string {
  const ip = namespaceNodeIp();
  if (!ip)
    throw new Error('WebRTC calls run inside a network namespace: use `npm test` or `npm run bench` (harness/netns/run-in-netns.sh)');
  return ip;
}
