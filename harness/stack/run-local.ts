import { parseArgs } from 'node:util';
import { DEFAULT_LOCAL_PROVIDERS_URL, DEFAULT_WORKER_HTTP_PORT } from '../../agent/config/schema.js';
import { agentNameFromEnv } from '../../contracts/agent-name.js';
import { Placement } from '../../placement/index.js';
import { DEFAULT_AGENT_DEADLINE_MS, DEFAULT_WEB_PORT, PAGE_DIR } from '../../web/server/config.js';
import { startWebFront } from '../../web/server/web-front.js';
import { createCallerToken } from '../caller/caller-token.js';
import { runRegions } from '../cluster/run-regions.js';
import { LATENCY_PROFILE_NAMES, latencyProfileNamed } from '../local-providers/index.js';
import { LocalStack } from './local-stack.js';

const LOG_DIR = '.run/logs';

/**
 * README's first command (`npm start`): the whole local stack (livekit-server --dev, the local
 * providers, the worker) and the web page to talk to it, in the foreground until Ctrl-C, with a token
 * to join from any other LiveKit client.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      profile: { type: 'string', default: LATENCY_PROFILE_NAMES[0] },
      room: { type: 'string', default: 'voice-agent-demo' },
      'web-port': { type: 'string', default: process.env.WEB_PORT || String(DEFAULT_WEB_PORT) },
      regions: { type: 'string' },
    },
  });
  const profile = latencyProfileNamed(values.profile, '--profile');
  const agentName = agentNameFromEnv(process.env);
  const webPort = Number(values['web-port']);
  if (!Number.isInteger(webPort) || webPort < 0 || webPort > 65535)
    throw new Error(`--web-port: a port number, not '${values['web-port']}'`);
  if (values.regions) return runRegions({ regions: values.regions.split(','), profile, webPort });
  const stack = await LocalStack.start({
    logDir: LOG_DIR,
    providersPort: Number(new URL(DEFAULT_LOCAL_PROVIDERS_URL).port),
    latency: profile,
  });
  const worker = await stack.startWorker({ agentName, httpPort: DEFAULT_WORKER_HTTP_PORT }).catch(async (e: unknown) => {
    await stack.stop();
    throw e;
  });
  const placement = Placement.single(stack.livekit, agentName, {
    redisUrl: `redis://${stack.redis.address}`,
    agentDeadlineMs: DEFAULT_AGENT_DEADLINE_MS,
  });
  const web = await startWebFront({ host: '127.0.0.1', port: webPort, placement, pageDir: PAGE_DIR }).catch(async (e: unknown) => {
    await placement.close();
    await stack.stop();
    throw e;
  });
  const token = await createCallerToken(stack.livekit, { room: values.room, identity: 'you', agentName });
  console.log(`
Talk to the agent: ${web.url}

The voice agent is running (logs in ${LOG_DIR}):
  livekit-server   ${stack.livekit.url}   (keys ${stack.livekit.apiKey} / ${stack.livekit.apiSecret})
  local providers  ${stack.providers.url}   (latency profile ${profile})
  worker           agent name '${agentName}', health on http://127.0.0.1:${DEFAULT_WORKER_HTTP_PORT}/

Talk to it:
  simulated caller:  npm run caller
  any other LiveKit client, room '${values.room}', with this token
  (it dispatches the agent when you join):
    ${token}

Ctrl-C stops everything.`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    console.log('stopping...');
    void Promise.all([web.close(), placement.close()])
      .then(() => stack.stop())
      .then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  void worker.exited.then((code) => {
    if (stopping) return;
    console.error(`worker exited unexpectedly (code ${code}); see ${LOG_DIR}`);
    stop();
  });
}

main().catch((e: unknown) => {
  console.error(`run-local: ${(e as Error).message}`);
  process.exit(1);
});
