import { type LocalStack, startLocalStack } from '../../infra/stack/local-stack.js';
import { FliteSynthesizer } from '../../plugins/local-providers/engines/flite.js';
import { PocketsphinxRecognizer } from '../../plugins/local-providers/engines/pocketsphinx.js';
import { recognizerPrimer } from '../../plugins/local-providers/engines/recognizer-primer.js';
import type { EchoOptions } from '../caller/echo-path.js';
import { placeCall } from './place-call.js';
import { testNodeIp } from './test-network.js';

export interface CallTestBed {
  stack: LocalStack;
  recognizer: PocketsphinxRecognizer;
  /** The agent name of the stack's worker. */
  agentName: string;
  workerLog: string;
  /** A simulated caller in a new room with the agent dispatched (this stack's worker unless named). */
  call(agentName?: string, caller?: { echo?: EchoOptions; agentDoneSilenceMs?: number }): ReturnType<typeof placeCall>;
  stop(): Promise<void>;
}

/**
 * What every real-network test file needs: the local stack inside the test namespace, with one
 * worker named `agent-<name>` (logs in .run/test-logs/<name>), and a recognizer for what callers hear.
 */
export async function startCallTestBed(opts: { name: string; httpPort: number; env?: Record<string, string> }): Promise<CallTestBed> {
  const logDir = `.run/test-logs/${opts.name}`;
  const agentName = `agent-${opts.name}`;
  const stack = await startLocalStack({
    logDir,
    nodeIp: testNodeIp(),
    worker: { agentName, httpPort: opts.httpPort, env: { AGENT_NUM_IDLE_PROCESSES: '1', ...opts.env } },
  });
  // Primed in the agent's voice (the local providers' default), which is all it transcribes.
  const recognizer = await PocketsphinxRecognizer.start({ primer: await recognizerPrimer('rms') }).catch(async (e: unknown) => {
    await stack.stop();
    throw e;
  });
  const synthesizer = new FliteSynthesizer({ voice: 'slt' });
  return {
    stack,
    recognizer,
    agentName,
    workerLog: `${logDir}/worker-${agentName}.log`,
    call: (name = agentName, caller = {}) => placeCall({ livekit: stack.livekit, agentName: name, synthesizer, transcriber: recognizer, ...caller }),
    stop: async () => {
      await recognizer.close();
      await stack.stop();
    },
  };
}
