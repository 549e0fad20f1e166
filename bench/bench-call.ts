import type { CallerOptions, SimulatedCaller } from '../harness/caller/simulated-caller.js';
import type { LocalStack } from '../harness/stack/local-stack.js';

/** The benchmark caller speaks audio prepared before the call, and times what it hears without transcribing it. */
const PREPARED_AUDIO_ONLY: Pick<CallerOptions, 'synthesizer' | 'transcriber'> = {
  synthesizer: { synthesize: () => Promise.reject(new Error('the benchmark caller speaks prepared audio')) },
  transcriber: { recognize: async () => ({ text: '' }) },
};

/** A benchmark caller in a new room with `agentName` dispatched. */
export async function placeBenchCall(
  stack: LocalStack,
  agentName: string,
  opts: Pick<CallerOptions, 'echo' | 'agentDoneSilenceMs'> = {},
): Promise<SimulatedCaller> {
  return (await stack.placeCall(agentName, { ...PREPARED_AUDIO_ONLY, ...opts })).caller;
}
