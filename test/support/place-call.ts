import { randomUUID } from 'node:crypto';
import { AccessToken, AgentDispatchClient } from 'livekit-server-sdk';
import type { RunningLivekitServer } from '../../infra/stack/livekit-server.js';
import type { EchoOptions } from '../caller/echo-path.js';
import { SimulatedCaller, type SpeechSynthesizer, type Transcriber } from '../caller/simulated-caller.js';

export interface CallSetup {
  livekit: RunningLivekitServer;
  agentName: string;
  synthesizer: SpeechSynthesizer;
  transcriber: Transcriber;
  /** The agent's voice leaks back into the caller's microphone. */
  echo?: EchoOptions;
  /** Quiet that ends an agent reply for the caller (default 1.5 s). */
  agentDoneSilenceMs?: number;
}

/** Creates a room with an explicit dispatch of the agent and joins it as a simulated caller. */
export async function placeCall(setup: CallSetup): Promise<{ caller: SimulatedCaller; room: string }> {
  const room = `call-${randomUUID().slice(0, 8)}`;
  const { livekit } = setup;
  await new AgentDispatchClient(livekit.url.replace(/^ws/, 'http'), livekit.apiKey, livekit.apiSecret).createDispatch(room, setup.agentName);
  const token = new AccessToken(livekit.apiKey, livekit.apiSecret, { identity: `caller-${randomUUID().slice(0, 6)}` });
  token.addGrant({ roomJoin: true, room, canPublish: true, canSubscribe: true });
  const caller = await SimulatedCaller.join({
    url: livekit.url,
    token: await token.toJwt(),
    synthesizer: setup.synthesizer,
    transcriber: setup.transcriber,
    echo: setup.echo,
    agentDoneSilenceMs: setup.agentDoneSilenceMs,
  });
  return { caller, room };
}
