import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DEFAULT_WORKER_HTTP_PORT } from '../../agent/config/schema.js';
import type { Placement } from '../../placement/index.js';
import { DEFAULT_AGENT_DEADLINE_MS, PAGE_DIR } from '../../web/server/config.js';
import { startWebFront } from '../../web/server/web-front.js';
import type { LatencyProfileName } from '../local-providers/index.js';
import { namespaceNodeIp } from '../netns/node-ip.js';
import { HUB_ADDRESS } from '../netns/region-network.js';
import { RegionalCluster } from './regional-cluster.js';

const RUN_IN_NETNS = fileURLToPath(new URL('../netns/run-in-netns.sh', import.meta.url));
const LOG_DIR = '.run/logs/regions';

/**
 * `npm start -- --regions us-east,eu-west`: the multi-region cluster (harness/cluster) with a worker
 * pool per region and the placement service, in a network namespace of its own (it needs root), in
 * the foreground until Ctrl-C, which tears all of it down.
 */
export async function runRegions(opts: { regions: string[]; profile: LatencyProfileName; webPort: number }): Promise<void> {
  if (!namespaceNodeIp()) {
    // The regions' namespaces and links are made inside a namespace of this run's own, never on the host.
    const child = spawn('bash', [RUN_IN_NETNS, process.execPath, ...process.execArgv, process.argv[1]!, ...process.argv.slice(2)], {
      stdio: 'inherit',
    });
    process.on('SIGINT', () => undefined); // the child gets it too, and stops everything
    child.on('exit', (code) => process.exit(code ?? 1));
    return;
  }
  const cluster = await RegionalCluster.start({ regions: opts.regions, logDir: LOG_DIR, latency: opts.profile });
  let placement: Placement | undefined;
  try {
    for (const region of opts.regions) await cluster.startWorker(region, { httpPort: DEFAULT_WORKER_HTTP_PORT });
    placement = cluster.placement({ agentDeadlineMs: DEFAULT_AGENT_DEADLINE_MS });
    const web = await startWebFront({ host: HUB_ADDRESS, port: opts.webPort, placement, pageDir: PAGE_DIR });
    const ns = process.env.NETNS_NAME ?? '<namespace>';
    console.log(`
Regions ${opts.regions.join(', ')} are running (logs in ${LOG_DIR}), callers near ${opts.regions[0]}:
${cluster.regions.map((r) => `  ${r.name.padEnd(9)} livekit-server ${r.livekit.url}, pool '${r.agentName}'`).join('\n')}
  placement service ${web.url}  (POST /api/call, GET /metrics; logs each placement here)

It all lives in the network namespace ${ns}. Call in from another terminal:
  sudo ip netns exec ${ns} npm run caller -- --placement ${web.url} [--region ${opts.regions.at(-1)}]

Ctrl-C stops and removes everything.`);
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      console.log('stopping...');
      void Promise.all([web.close(), placement?.close()])
        .then(() => cluster.stop())
        .then(() => process.exit(0));
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  } catch (e) {
    await placement?.close();
    await cluster.stop();
    throw e;
  }
}
