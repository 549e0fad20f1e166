import type { CallerOptions, SimulatedCaller } from '../../harness/caller/simulated-caller.js';
import type { LocalStack } from '../../harness/stack/local-stack.js';

/** The benchmark caller speaks audio prepared before the call, and times what it hears without transcribing it. */
export const PREPARED_AUDIO_ONLY: Pick<CallerOptions, 'synthesizer' | 'transcriber'> = {
  synthesizer: { synthesize: () => Promise.reject(new Error('the benchmark caller speaks prepared audio')) },
  transcriber: { recognize: async () => ({ text: '' }) },
};

/** How the benchmark caller reaches the agent: a LiveKit client over WebRTC, or a phone-shaped caller (as livekit-sip joins, through G.711). */
export const CALLER_KINDS = ['webrtc', 'phone'] as const;
export type CallerKind = (typeof CALLER_KINDS)[number];

/** The phone-shaped benchmark caller's number, and the one it dials (fiction range). */
const BENCH_PHONE = { number: '+15550100002', dialled: '+15550100000' };

/** A benchmark caller in a new room with `agentName` dispatched. */
export async function placeBenchCall(
  stack: LocalStack,
  agentName: string,
  opts: Pick<CallerOptions, 'echo' | 'agentDoneSilenceMs'> & { kind?: CallerKind } = {},
): Promise<SimulatedCaller> {
  const { kind = 'webrtc', ...caller } = opts;
  const placed =
    kind === 'phone'
      ? await stack.placePhoneShapedCall(agentName, BENCH_PHONE, { ...PREPARED_AUDIO_ONLY, ...caller })
      : await stack.placeCall(agentName, { ...PREPARED_AUDIO_ONLY, ...caller });
  return placed.caller;
}
