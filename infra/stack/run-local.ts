import { parseArgs } from 'node:util';
import { DEFAULT_LOCAL_PROVIDERS_URL } from '../../agent/config/schema.js';
import { createCallerToken } from './caller-token.js';
import { startLocalStack } from './local-stack.js';

const AGENT_NAME = process.env.AGENT_NAME ?? 'voice-agent';

/**
 * README's first command: the whole local stack (livekit-server --dev, local providers, the worker)
 * in the foreground until Ctrl-C, with a token to join from any LiveKit client.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      profile: { type: 'string', default: 'zero' },
      room: { type: 'string', default: 'voice-agent-demo' },
    },
  });
  if (values.profile !== 'zero' && values.profile !== 'typical') throw new Error(`--profile: expected zero or typical, got ${values.profile}`);
  const stack = await startLocalStack({
    logDir: '.run/logs',
    livekitPort: 7880,
    providersPort: Number(new URL(DEFAULT_LOCAL_PROVIDERS_URL).port),
    latency: values.profile,
    worker: { agentName: AGENT_NAME, httpPort: 8081, env: {} },
  });
  const token = await createCallerToken({
    apiKey: stack.livekit.apiKey,
    apiSecret: stack.livekit.apiSecret,
    room: values.room,
    identity: 'you',
    agentName: AGENT_NAME,
  });
  console.log(`
The voice agent is running (logs in .run/logs):
  livekit-server   ${stack.livekit.url}   (keys ${stack.livekit.apiKey} / ${stack.livekit.apiSecret})
  local providers  ${stack.providers.url}   (latency profile ${values.profile})
  worker           agent name '${AGENT_NAME}', health on http://127.0.0.1:8081/

Talk to it:
  simulated caller:  npm run caller
  any LiveKit client (e.g. https://meet.livekit.io "custom" tab), room '${values.room}', with this token
  (it dispatches the agent when you join):
    ${token}

Ctrl-C stops everything.`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    console.log('stopping...');
    void stack.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  void stack.worker.exited.then((code) => {
    if (stopping) return;
    console.error(`worker exited unexpectedly (code ${code}); see .run/logs`);
    stop();
  });
}

main().catch((e: unknown) => {
  console.error(`run-local: ${(e as Error).message}`);
  process.exit(1);
});
