import { existsSync } from 'node:fs';
import { DEFAULT_AGENT_NAME } from '../../contracts/agent-name.js';
import { Placement, Regions } from '../../placement/index.js';
import { PAGE_DIR, webConfigFrom } from './config.js';
import { startWebFront } from './web-front.js';

/** The file a user copies from .env.example for their LiveKit server, as LiveKit's starters have it. */
const ENV_FILE = '.env.local';

/**
 * `npm run web`, and the placement service of a deployment: the page and its call endpoint, against
 * any LiveKit server (or the regions of PLACEMENT_REGIONS) whose URL and keys are in the environment
 * or .env.local (the environment wins), for workers running elsewhere.
 */
async function main(): Promise<void> {
  if (existsSync(ENV_FILE)) process.loadEnvFile(ENV_FILE);
  const cfg = webConfigFrom(process.env, DEFAULT_AGENT_NAME);
  const regions = cfg.regionsFile ? Regions.read(cfg.regionsFile) : Regions.single(cfg.livekit.url!, cfg.agentName);
  const placement = new Placement({
    regions,
    apiKey: cfg.livekit.apiKey,
    apiSecret: cfg.livekit.apiSecret,
    redisUrl: cfg.redisUrl,
    agentDeadlineMs: cfg.agentDeadlineMs,
  });
  const front = await startWebFront({
    host: cfg.host,
    port: cfg.port,
    placement,
    pageDir: PAGE_DIR,
    callGuard: cfg.callGuard,
    callsPerMinute: cfg.callsPerMinute,
  });
  const where = regions.list.map((r) => `${r.name}: ${r.livekitUrl}, agent '${r.agentName}'`).join('; ');
  console.log(`Talk to the agent: ${front.url}   (${where})`);
  const stop = () => void Promise.all([front.close(), placement.close()]).then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e: unknown) => {
  console.error(`web: ${(e as Error).message}`);
  process.exit(1);
});
