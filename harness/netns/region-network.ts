import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Launcher } from '../stack/livekit-server.js';
import { requireNamespaceNodeIp } from './node-ip.js';

const run = promisify(execFile);

/** Built by infra/install.sh from native/link_delay.c. */
const LINK_DELAY = fileURLToPath(new URL('../../.tools/bin/link_delay', import.meta.url));
/** What runs in the hub (callers, Redis, the placement service) is reached at this address from every region. */
export const HUB_ADDRESS = '10.210.0.1';
const linkNet = (index: number) => `10.210.${index}`;

/** A region's own network namespace, linked to the hub. */
export interface RegionLink {
  name: string;
  namespace: string;
  /** The region's address, as the hub and the other regions reach it. */
  address: string;
  /** Runs a program inside the region's namespace. */
  launcher: Launcher;
}

/**
 * Regions on one machine: a network namespace per region, each joined to the test namespace (the
 * hub, where callers and the shared services run) by a routed veth link; the hub forwards between
 * regions. Each link has a one-way delay, each way: hub ↔ region costs twice it per round trip, and
 * region ↔ region (through the hub) the sum of both links'. `tc netem` would do this, but this
 * machine's kernel has no netem: the delays are netfilter queues (iptables NFQUEUE, in the hub) that
 * native/link_delay.c holds packets in. Only inside the namespace harness/netns/run-in-netns.sh
 * makes: the host's network is never touched.
 */
export class RegionNetwork {
  readonly #delays = new Map<string, { oneWayMs: number; jitterMs: number }>();
  readonly #cleanup = () => this.#removeNow();

  private constructor(
    readonly links: readonly RegionLink[],
    private readonly delay: ChildProcess,
  ) {
    process.once('exit', this.#cleanup);
  }

  /**
   * `nearPorts`: TCP ports of the hub whose traffic skips the delay, e.g. the shared Redis: LiveKit's
   * nodes relay every signalling message through it, and a deployment keeps it near every node.
   */
  static async create(regions: readonly string[], nearPorts: readonly number[] = []): Promise<RegionNetwork> {
    requireNamespaceNodeIp();
    if (!existsSync(LINK_DELAY)) throw new Error(`${LINK_DELAY} is missing: run infra/install.sh`);
    await ip('addr', 'add', `${HUB_ADDRESS}/32`, 'dev', 'lo');
    await run('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    const links: RegionLink[] = [];
    try {
      for (const [i, name] of regions.entries()) {
        const link = regionLink(name, i + 1);
        links.push(link);
        await connect(link, i + 1);
      }
      const rules: string[][] = [];
      for (const port of nearPorts) {
        rules.push(
          ['INPUT', '-p', 'tcp', '--dport', String(port), '-j', 'ACCEPT'],
          ['OUTPUT', '-p', 'tcp', '--sport', String(port), '-j', 'ACCEPT'],
        );
      }
      for (let a = 0; a < links.length; a++) {
        const hubEnd = hubEndOf(a + 1);
        rules.push(['OUTPUT', '-o', hubEnd, ...queue(outQueue(a))], ['INPUT', '-i', hubEnd, ...queue(inQueue(a))]);
        for (let b = 0; b < links.length; b++)
          if (b !== a) rules.push(['FORWARD', '-i', hubEnd, '-o', hubEndOf(b + 1), ...queue(forwardQueue(a, b))]);
      }
      for (const rule of rules) await run('iptables-legacy', ['-A', ...rule]);
      const queues = rules.filter((r) => r.includes('NFQUEUE')).map((r) => r.at(-2)!);
      const delay = spawn(LINK_DELAY, queues, { stdio: ['pipe', 'pipe', 'inherit'] });
      await new Promise<void>((resolve, reject) => {
        delay.once('error', reject);
        delay.once('exit', (code) => reject(new Error(`link_delay exited (${code}) before it was ready`)));
        delay.stdout!.once('data', () => resolve());
      });
      delay.removeAllListeners('exit');
      delay.stdout!.resume(); // its acknowledgements, unread
      return new RegionNetwork(links, delay);
    } catch (e) {
      removeNamespaces(links);
      throw e;
    }
  }

  link(name: string): RegionLink {
    const link = this.links.find((l) => l.name === name);
    if (!link) throw new Error(`no region '${name}' in this network`);
    return link;
  }

  /** The one-way delay (and jitter) between the hub and `region`, each way; region ↔ region adds both links'. */
  setDistance(region: string, oneWayMs: number, jitterMs = 0): void {
    this.link(region);
    this.#delays.set(region, { oneWayMs, jitterMs });
    const of = (i: number) => this.#delays.get(this.links[i]!.name) ?? { oneWayMs: 0, jitterMs: 0 };
    const lines: string[] = [];
    for (let a = 0; a < this.links.length; a++) {
      lines.push(`${outQueue(a)} ${of(a).oneWayMs} ${of(a).jitterMs}`, `${inQueue(a)} ${of(a).oneWayMs} ${of(a).jitterMs}`);
      for (let b = 0; b < this.links.length; b++) {
        if (b !== a) lines.push(`${forwardQueue(a, b)} ${of(a).oneWayMs + of(b).oneWayMs} ${of(a).jitterMs + of(b).jitterMs}`);
      }
    }
    this.delay.stdin!.write(`${lines.join('\n')}\n`);
  }

  /** Removes the regions' namespaces, the delays and the hub's address; what ran inside must be stopped first. */
  remove(): void {
    process.off('exit', this.#cleanup);
    this.#removeNow();
  }

  #removeNow(): void {
    this.delay.stdin?.end();
    this.delay.kill();
    removeNamespaces(this.links);
    for (const chain of ['INPUT', 'OUTPUT', 'FORWARD']) quietly('iptables-legacy', ['-F', chain]);
    quietly('ip', ['addr', 'del', `${HUB_ADDRESS}/32`, 'dev', 'lo']);
  }
}

const hubEndOf = (index: number) => `lkva-r${index}`;
const outQueue = (i: number) => 2 * i;
const inQueue = (i: number) => 2 * i + 1;
const forwardQueue = (from: number, to: number) => 100 + 10 * from + to;
/** Through the delay queue; straight through while nothing listens on it (never dropped). */
const queue = (n: number) => ['-j', 'NFQUEUE', '--queue-num', String(n), '--queue-bypass'];

function regionLink(name: string, index: number): RegionLink {
  const namespace = `lkva-${process.pid}-${name}`.slice(0, 40);
  return {
    name,
    namespace,
    address: `${linkNet(index)}.2`,
    launcher: (command, args) => ({ command: 'ip', args: ['netns', 'exec', namespace, command, ...args] }),
  };
}

/** Makes the region's namespace and its link to the hub. */
async function connect(link: RegionLink, index: number): Promise<void> {
  const { namespace } = link;
  const hubEnd = hubEndOf(index);
  const net = linkNet(index);
  await ip('netns', 'add', namespace);
  await ip('-n', namespace, 'link', 'set', 'lo', 'up');
  await run('ip', [
    'netns',
    'exec',
    namespace,
    'sysctl',
    '-qw',
    'net.ipv6.conf.all.disable_ipv6=1',
    'net.ipv6.conf.default.disable_ipv6=1',
  ]);
  // veth0 inside: the name infra/livekit/livekit.yaml's rtc.interfaces lets livekit-server use.
  await ip('link', 'add', hubEnd, 'type', 'veth', 'peer', 'name', 'veth0', 'netns', namespace);
  await ip('addr', 'add', `${net}.1/24`, 'dev', hubEnd);
  await ip('link', 'set', hubEnd, 'up');
  await ip('-n', namespace, 'addr', 'add', `${link.address}/24`, 'dev', 'veth0');
  await ip('-n', namespace, 'link', 'set', 'veth0', 'up');
  await ip('-n', namespace, 'route', 'add', 'default', 'via', `${net}.1`);
}

function removeNamespaces(links: readonly RegionLink[]): void {
  for (const link of links) quietly('ip', ['netns', 'del', link.namespace]);
}

function quietly(command: string, args: string[]): void {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
  } catch {
    // already gone
  }
}

async function ip(...args: string[]): Promise<void> {
  try {
    await run('ip', args);
  } catch (e) {
    throw new Error(`ip ${args.join(' ')}: ${((e as { stderr?: string }).stderr ?? String(e)).trim()}`);
  }
}
