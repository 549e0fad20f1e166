import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { AccessToken, AgentDispatchClient } from 'livekit-server-sdk';
import { FliteSynthesizer } from '../../plugins/local-providers/engines/flite.js';
import { PocketsphinxRecognizer } from '../../plugins/local-providers/engines/pocketsphinx.js';
import { recognizerPrimer } from '../../plugins/local-providers/engines/recognizer-primer.js';
import { type ConversationResult, SimulatedCaller } from './simulated-caller.js';

const DEFAULT_QUESTIONS = ['What is the weather like today?', 'Tell me a funny joke.'];

const USAGE = `usage: npm run caller -- [options]
  --url URL            LiveKit URL (env LIVEKIT_URL, default ws://127.0.0.1:7880)
  --api-key KEY        (env LIVEKIT_API_KEY, default devkey)
  --api-secret SECRET  (env LIVEKIT_API_SECRET, default secret)
  --room NAME          room to join (default: a new random one)
  --agent-name NAME    dispatch this agent into the room first (default voice-agent; '' to skip)
  --say TEXT           a question to ask; repeat for several (default: two questions)
  --voice NAME         flite voice of the caller (default slt)
  --json               print the result as JSON`;

/** Calls the agent as a person would and prints the conversation with per-turn timing. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: process.env.LIVEKIT_URL ?? 'ws://127.0.0.1:7880' },
      'api-key': { type: 'string', default: process.env.LIVEKIT_API_KEY ?? 'devkey' },
      'api-secret': { type: 'string', default: process.env.LIVEKIT_API_SECRET ?? 'secret' },
      room: { type: 'string', default: `call-${randomUUID().slice(0, 8)}` },
      'agent-name': { type: 'string', default: process.env.AGENT_NAME ?? 'voice-agent' },
      say: { type: 'string', multiple: true, default: DEFAULT_QUESTIONS },
      voice: { type: 'string', default: 'slt' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return console.log(USAGE);
  const { url, room } = values;
  const apiKey = values['api-key'];
  const apiSecret = values['api-secret'];
  if (values['agent-name']) {
    await new AgentDispatchClient(url.replace(/^ws/, 'http'), apiKey, apiSecret).createDispatch(room, values['agent-name']);
  }
  const token = new AccessToken(apiKey, apiSecret, { identity: `caller-${randomUUID().slice(0, 6)}` });
  token.addGrant({ roomJoin: true, room, canPublish: true, canSubscribe: true });

  // Primed in the local providers' default agent voice (see recognizerPrimer).
  const recognizer = await PocketsphinxRecognizer.start({ primer: await recognizerPrimer('rms') });
  const caller = await SimulatedCaller.join({
    url,
    token: await token.toJwt(),
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

function render(result: ConversationResult): string {
  const lines = [`agent : ${result.greeting.text}   (${(result.greeting.audioMs / 1000).toFixed(1)} s of audio)`];
  for (const turn of result.turns) {
    lines.push(`caller: ${turn.question}`);
    lines.push(`agent : ${turn.reply}   (first audio ${turn.latencyMs.toFixed(0)} ms after the question ended, ${(turn.replyAudioMs / 1000).toFixed(1)} s of audio)`);
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
