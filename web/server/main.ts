import { existsSync } from 'node:fs';
import { DEFAULT_AGENT_NAME } from '../../agent/config/schema.js';
import { PAGE_DIR, webConfigFrom } from './config.js';
import { startWebFront } from './web-front.js';

/** The file a user copies from .env.example for their LiveKit server, as LiveKit's starters have it. */
const ENV_FILE = '.env.local';

/**
 * `npm run web`: the page and its call endpoint, against any LiveKit server whose URL and keys are in
 * the environment or .env.local (the environment wins), for a worker running elsewhere.
 */
async function main(): Promise<void> {
  if (existsSync(ENV_FILE)) process.loadEnvFile(ENV_FILE);
  const cfg = webConfigFrom(process.env, DEFAULT_AGENT_NAME);
  const front = await startWebFront({ ...cfg, pageDir: PAGE_DIR });
  console.log(`Talk to the agent: ${front.url}   (LiveKit ${cfg.livekit.url}, agent '${cfg.agentName}')`);
  const stop = () => void front.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e: unknown) => {
  console.error(`web: ${(e as Error).message}`);
  process.exit(1);
});
