import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { agentNameFromEnv } from '../../contracts/agent-name.js';
import { livekitEndpointFromEnv } from '../../contracts/livekit-endpoint.js';
import { FliteSynthesizer } from '../speech/flite.js';
import { primedRecognizer } from '../speech/recognizer-primer.js';
import { AGENT_VOICE, CALLER_VOICE } from '../speech/voices.js';
import { createCallerToken } from './caller-token.js';
import { dispatchAgent } from './place-call.js';
import { requestPlacedCall } from './placement-client.js';
import { type ConversationResult, SimulatedCaller } from './simulated-caller.js';

const DEFAULT_QUESTIONS = ['What is the weather like today?', 'Tell me a funny joke.'];

/** Calls the agent as a person would and prints the conversation with per-turn timing. */
async function main(): Promise<void> {
  const env = livekitEndpointFromEnv(process.env);
  const local = livekitEndpointFromEnv({});
  const usage = `usage: npm run caller -- [options]
  --url URL            LiveKit URL (env LIVEKIT_URL, default ${local.url}: npm start's)
  --api-key KEY        (env LIVEKIT_API_KEY, default ${local.apiKey})
  --api-secret SECRET  (env LIVEKIT_API_SECRET, default npm start's)
  --room NAME          room to join (default: a new random one)
  --agent-name NAME    dispatch this agent into the room first (env LIVEKIT_AGENT_NAME or AGENT_NAME, default ${agentNameFromEnv({})}; '' to skip)
  --placement URL      ask this placement service for the call instead (npm start's page, e.g. http://127.0.0.1:3000/):
                       it picks the region, the server, the room and the agent
  --region NAME        with --placement: the region the caller is in (default: the service decides)
  --say TEXT           a question to ask; repeat for several (default: two questions)
  --voice NAME         flite voice of the caller (default ${CALLER_VOICE})
  --json               print the result as JSON`;
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: env.url },
      'api-key': { type: 'string', default: env.apiKey },
      'api-secret': { type: 'string', default: env.apiSecret },
      room: { type: 'string', default: `call-${randomUUID().slice(0, 8)}` },
      'agent-name': { type: 'string', default: agentNameFromEnv(process.env) },
      placement: { type: 'string' },
      region: { type: 'string' },
      say: { type: 'string', multiple: true, default: DEFAULT_QUESTIONS },
      voice: { type: 'string', default: CALLER_VOICE },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return console.log(usage);
  if (values.region && !values.placement) throw new Error('--region needs --placement');
  const { url, token, room } = values.placement ? await requestPlacedCall(values.placement, values.region) : await ownCall(values);
  const recognizer = await primedRecognizer(AGENT_VOICE);
  const caller = await SimulatedCaller.join({
    url,
    token,
    synthesizer: new FliteSynthesizer({ voice: values.voice }),
    transcriber: recognizer,
  });
  try {
    if (!values.json) console.log(`joined room ${room}; waiting for the agent...`);
    const result = await caller.converse(values.say);
    console.log(values.json ? JSON.stringify({ room, agent: caller.agentIdentity, ...result }, null, 2) : render(result));
  } finally {
    await caller.hangUp();
    await recognizer.close();
  }
}

/** A room of its own with the agent dispatched, on the server of --url. */
async function ownCall(values: { url: string; room: string; 'api-key': string; 'api-secret': string; 'agent-name': string }) {
  const { url, room } = values;
  const livekit = { url, apiKey: values['api-key'], apiSecret: values['api-secret'] };
  if (values['agent-name']) await dispatchAgent(livekit, room, values['agent-name']);
  return { url, room, token: await createCallerToken(livekit, { room, identity: `caller-${randomUUID().slice(0, 6)}` }) };
}

function render(result: ConversationResult): string {
  const lines = [`agent : ${result.greeting.text}   (${(result.greeting.audioMs / 1000).toFixed(1)} s of audio)`];
  for (const turn of result.turns) {
    lines.push(`caller: ${turn.question}`);
    lines.push(
      `agent : ${turn.reply}   (first audio ${turn.latencyMs.toFixed(0)} ms after the question ended, ${(turn.replyAudioMs / 1000).toFixed(1)} s of audio)`,
    );
  }
  return lines.join('\n');
}

main().then(
  () => process.exit(0), // rtc-node keeps native handles open after disconnect
  (e: unknown) => {
    console.error(`caller: ${(e as Error).message}`);
    process.exit(1);
  },
);
