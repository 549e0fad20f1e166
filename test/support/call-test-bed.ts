import type { PhoneIdentity } from '../../harness/caller/caller-token.js';
import type { JoinedCall } from '../../harness/caller/place-call.js';
import type { CallerOptions } from '../../harness/caller/simulated-caller.js';
import { requireNamespaceNodeIp } from '../../harness/netns/node-ip.js';
import { FliteSynthesizer } from '../../harness/speech/flite.js';
import type { PocketsphinxRecognizer } from '../../harness/speech/pocketsphinx.js';
import { primedRecognizer } from '../../harness/speech/recognizer-primer.js';
import { AGENT_VOICE, CALLER_VOICE, PHONE_CALLER_VOICE } from '../../harness/speech/voices.js';
import { LocalStack, type StackWorker } from '../../harness/stack/local-stack.js';

/** The number phone-shaped callers dial. */
export const PHONE_LINE_NUMBER = '+15550100000';

/** What a test may set of its caller: the agent's voice coming back, the quiet that ends a reply, a noisy room. */
export type TestCallerOptions = Pick<CallerOptions, 'echo' | 'agentDoneSilenceMs' | 'roomNoise'>;

export interface CallTestBed {
  stack: LocalStack;
  /** The worker `agent-<name>`. */
  worker: StackWorker;
  /** The caller's voice. */
  voice: FliteSynthesizer;
  /** The phone-shaped callers' voice. */
  phoneVoice: FliteSynthesizer;
  /** Another worker of our agent on the same stack, e.g. with another TTS (`logName` when it shares the agent name). */
  startWorker(agentName: string, httpPort: number, env: Record<string, string>, logName?: string): Promise<StackWorker>;
  /** A simulated caller in a new room with the agent dispatched (the bed's worker unless named). */
  call(agentName?: string, caller?: TestCallerOptions): Promise<JoinedCall>;
  /** A phone-shaped caller calling from `number` (see placePhoneShapedCall), the bed's worker unless named. */
  phoneCall(
    number: string,
    caller?: TestCallerOptions & { agentName?: string; callStatus?: PhoneIdentity['callStatus'] },
  ): Promise<JoinedCall>;
  stop(): Promise<void>;
}

/**
 * What every real-network test file needs: the local stack inside the test namespace, with one
 * worker named `agent-<name>` (logs in .run/test-logs/<name>), and callers that speak in the caller's
 * voice and transcribe the agent's.
 */
export async function startCallTestBed(opts: { name: string; httpPort: number; env?: Record<string, string> }): Promise<CallTestBed> {
  const stack = await LocalStack.start({ logDir: `.run/test-logs/${opts.name}`, nodeIp: requireNamespaceNodeIp() });
  let recognizer: PocketsphinxRecognizer | undefined;
  /** Ears for the agent's voice through a phone line, started for the first phone-shaped call. */
  let phoneEars: Promise<PocketsphinxRecognizer> | undefined;
  const stop = async () => {
    await recognizer?.close();
    await (await phoneEars?.catch(() => undefined))?.close();
    await stack.stop();
  };
  try {
    const startWorker = (agentName: string, httpPort: number, env: Record<string, string>, logName?: string) =>
      // The tests read what was said from the workers' turn records, which production logs leave out.
      stack.startWorker({ agentName, httpPort, logName, env: { AGENT_NUM_IDLE_PROCESSES: '1', LOG_TRANSCRIPTS: 'true', ...env } });
    const worker = await startWorker(`agent-${opts.name}`, opts.httpPort, opts.env ?? {});
    const transcriber = (recognizer = await primedRecognizer(AGENT_VOICE));
    const voice = new FliteSynthesizer({ voice: CALLER_VOICE });
    const phoneVoice = new FliteSynthesizer({ voice: PHONE_CALLER_VOICE });
    return {
      stack,
      worker,
      voice,
      phoneVoice,
      startWorker,
      call: (agentName = worker.agentName, caller = {}) => stack.placeCall(agentName, { synthesizer: voice, transcriber, ...caller }),
      phoneCall: async (number, { agentName = worker.agentName, callStatus, ...caller } = {}) => {
        phoneEars ??= primedRecognizer(AGENT_VOICE, 'phone');
        return stack.placePhoneShapedCall(
          agentName,
          { number, dialled: PHONE_LINE_NUMBER, callStatus },
          { synthesizer: phoneVoice, transcriber: await phoneEars, ...caller },
        );
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
