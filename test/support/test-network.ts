/**
 * The ICE address of the network namespace made by test/netns/run-in-netns.sh. Real-network tests
 * refuse to run without it, so WebRTC traffic never leaves the namespace.
 */
export function testNodeIp(): string {
  const ip = process.env.TEST_NODE_IP;
  if (!ip) throw new Error('real-network tests run inside a network namespace: use `npm test` (test/netns/run-in-netns.sh)');
  return ip;
}
