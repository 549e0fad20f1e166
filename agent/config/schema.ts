import { isIP } from 'node:net';
import { z } from 'zod';
import { DEFAULT_AGENT_NAME } from '../../contracts/agent-name.js';
import { hasUserInfo, LIVEKIT_URL_USER_INFO_REFUSED } from '../../contracts/livekit-endpoint.js';

/** How a key's description names its environment variables: `env:NAME[,ALIAS]`. */
export const ENV_DESCRIPTION_PREFIX = 'env:';

/** Where the `local` stages find the local providers unless told otherwise; `npm start` runs them there. */
export const DEFAULT_LOCAL_PROVIDERS_URL = 'http://127.0.0.1:8788';
/** Said by the agent that takes over a call whose agent was lost. */
export const DEFAULT_RESUMPTION = 'Sorry, I lost the thread for a moment. I am back now.';
/** Health (`GET /`), worker info (`GET /worker`), Prometheus (`GET /metrics`). */
export const DEFAULT_WORKER_HTTP_PORT = 8081;
/** The worker's HTTP port answers this machine only unless told otherwise. */
export const DEFAULT_WORKER_HTTP_HOST = '127.0.0.1';

/**
 * Node keeps a timer's delay in a signed 32-bit integer: a longer `setTimeout` fires after 1 ms
 * instead, and `AbortSignal.timeout` throws. No duration may exceed it.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** No turn-taking wait is longer: a caller silent for half a minute has finished, or gone. */
const MAX_TURN_WAIT_MS = 30_000;

/** Marks a key's schema with the environment variables that set it (agent/config/env-keys.ts reads them back). */
const env = (names: string | readonly string[]) => `${ENV_DESCRIPTION_PREFIX}${[names].flat().join(',')}`;

/** A whole number of milliseconds within [min, max]. */
const ms = (min: number, max: number) => z.number().int().min(min).max(max);

/** A URL with one of `schemes` and a host (`new URL` alone takes `file:///x`, and `http:x` as `http://x/`). */
function urlOf(schemes: readonly string[]) {
  const pattern = new RegExp(`^(${schemes.join('|')})://`, 'i');
  return z
    .string()
    .trim()
    .refine((value) => pattern.test(value) && URL.canParse(value) && new URL(value).hostname !== '', {
      message: `must be a ${schemes.map((s) => `${s}://`).join(', ')} URL with a host`,
    });
}
const providerUrl = urlOf(['http', 'https']);

/** An API key or secret: surrounding whitespace is a copy-and-paste slip, and a blank one is no credential. */
const credential = z.string().trim().min(1, 'must not be blank');

/**
 * Where the worker's HTTP port may listen: its job processes post their turn records to it over
 * loopback, which a loopback address and the any-address (`0.0.0.0`, `::`) both serve.
 */
const listenHost = z
  .string()
  .trim()
  .refine((host) => isIP(host) !== 0 && (/^127\./.test(host) || ['::1', '0.0.0.0', '::'].includes(host)), {
    message: 'must be a loopback address (127.0.0.1, ::1), or 0.0.0.0 or :: to answer on every interface',
  });

const sttSchema = z
  .object({
    /** `local`: the OpenAI transcription protocol served by the local providers. */
    provider: z.enum(['local', 'openai']).default('local').describe(env('STT_PROVIDER')),
    /**
     * Stream the caller's audio over the realtime transcription WebSocket, decoded while they speak,
     * so the final transcript is there as the turn ends; `false` uploads each utterance over HTTP
     * after the VAD ends it, which makes every turn wait for the upload and the decoding.
     */
    streaming: z.boolean().default(true).describe(env('STT_STREAMING')),
    /** Default: `gpt-4o-transcribe` when streaming (server-side endpointing), `whisper-1` otherwise. */
    model: z.string().min(1).optional().describe(env('STT_MODEL')),
    /**
     * Model for callers on the phone (8 kHz, G.711), where the provider has a telephony one; unset:
     * `model`, except for `local`, whose telephony model is used.
     */
    phoneModel: z.string().min(1).optional().describe(env('STT_PHONE_MODEL')),
    /**
     * Streaming only: who ends an utterance. `provider`: its server VAD, after
     * `endOfUtteranceSilenceMs` of silence; `agent`: the session's VAD, the moment it hears the
     * caller stop (a manual `input_audio_buffer.commit`, the provider's own turn detection off).
     * `agent`: the transcript comes ~50 ms after the VAD hears the caller stop, the turn waits for
     * it while it is owed, and a caller in a noisy room, whose pauses the provider's energy gate
     * never hears, is transcribed at all. Not the default yet, for reasons in the README, Turn-taking.
     */
    commit: z.enum(['agent', 'provider']).default('provider').describe(env('STT_COMMIT')),
    /** Streaming with `commit: provider`: the provider's end-of-utterance silence. */
    endOfUtteranceSilenceMs: ms(100, 2000).default(350).describe(env('STT_END_OF_UTTERANCE_SILENCE_MS')),
    /** Start the LLM on the last interim transcript when the STT ends an utterance, before its final one (agent/session/turn-taking/preflight-transcripts.ts). */
    preflightTranscripts: z.boolean().default(true).describe(env('STT_PREFLIGHT_TRANSCRIPTS')),
    language: z.string().min(2).default('en').describe(env('STT_LANGUAGE')),
    baseUrl: providerUrl.optional().describe(env('STT_BASE_URL')),
    apiKey: credential.optional().describe(env('STT_API_KEY')),
  })
  .strict();

const llmSchema = z
  .object({
    /** `openai` covers any OpenAI-compatible server (Ollama, vLLM, llama.cpp) through `baseUrl`. */
    provider: z.enum(['local', 'openai']).default('local').describe(env('LLM_PROVIDER')),
    model: z.string().min(1).default('gpt-4o-mini').describe(env('LLM_MODEL')),
    temperature: z.number().min(0).max(2).optional().describe(env('LLM_TEMPERATURE')),
    baseUrl: providerUrl.optional().describe(env('LLM_BASE_URL')),
    apiKey: credential.optional().describe(env('LLM_API_KEY')),
  })
  .strict();

const ttsSchema = z
  .object({
    /** `local`: the Cartesia WebSocket protocol (streaming, word timestamps) served by the local providers. */
    provider: z.enum(['local', 'openai', 'cartesia']).default('local').describe(env('TTS_PROVIDER')),
    model: z.string().min(1).optional().describe(env('TTS_MODEL')),
    voice: z.string().min(1).optional().describe(env('TTS_VOICE')),
    /**
     * Streaming TTS: the reply's first clause, or this many words if no clause ends sooner, is sent
     * for synthesis at once instead of with the whole first sentence (agent/session/reply/first-phrase.ts);
     * 0 sends whole sentences only.
     */
    firstPhraseWords: z.number().int().min(0).max(50).default(5).describe(env('TTS_FIRST_PHRASE_WORDS')),
    baseUrl: providerUrl.optional().describe(env('TTS_BASE_URL')),
    apiKey: credential.optional().describe(env('TTS_API_KEY')),
  })
  .strict();

/**
 * Delays by detector: how long after the caller's last speech the turn is over when they are done,
 * and the ceiling of the wait when they are not. `combined`'s, with its thresholds and
 * `unsureDelayMs`, are what `npm run bench -- turn-taking` chose on its development split (how, and
 * what they give held out: README, Turn-taking).
 */
const DEFAULT_ENDPOINTING_DELAYS_MS = {
  combined: { min: 0, max: 1200 },
  model: { min: 200, max: 1200 },
  vad: { min: 500, max: 1200 },
} as const;

const turnSchema = z
  .object({
    /**
     * What decides that the caller has finished. `combined`: a text end-of-turn model (the caller's
     * words given what the agent last said, SmolLM2-135M on the CPU in the worker's inference
     * process, plugins/text-end-of-turn), the audio one (turn-detector-v1-mini) and the policy's
     * rule on the last word, combined (agent/session/turn-taking/turn-end-model.ts) into a probability that
     * picks one of three waits. `model`: the audio end-of-turn model alone choosing between the two
     * delays below, with the endpointing policy (agent/session/turn-taking/endpointing-policy.ts) waiting
     * `unfinishedDelayMs` after a word that needs more; `vad`: `minEndpointingDelayMs` after the
     * VAD's end of speech, with the same policy. Never a cloud model. `model` stays the default:
     * `combined` cuts off fewer turns but answers a finished caller later and less predictably
     * (README, Turn-taking).
     */
    detector: z.enum(['combined', 'model', 'vad']).default('model').describe(env('TURN_DETECTOR')),
    /** Silence after the caller's last speech before the turn is over when they are done (`vad`: always); default by detector, above. */
    minEndpointingDelayMs: ms(0, MAX_TURN_WAIT_MS).optional().describe(env('TURN_MIN_ENDPOINTING_DELAY_MS')),
    /** … when they are not done (`combined`: the ceiling of every wait); default by detector, above. */
    maxEndpointingDelayMs: ms(1, MAX_TURN_WAIT_MS).optional().describe(env('TURN_MAX_ENDPOINTING_DELAY_MS')),
    /** `combined`: the wait when the detector is unsure (its probability between the two thresholds below). */
    unsureDelayMs: ms(0, MAX_TURN_WAIT_MS).default(1200).describe(env('TURN_UNSURE_DELAY_MS')),
    /** `combined`: the probability that the caller is done from which the turn ends after `minEndpointingDelayMs`. */
    doneThreshold: z.number().min(0).max(1).default(0.5).describe(env('TURN_DONE_THRESHOLD')),
    /** `combined`: below this probability the wait is `maxEndpointingDelayMs`, above it `unsureDelayMs`. */
    unsureThreshold: z.number().min(0).max(1).default(0.02).describe(env('TURN_UNSURE_THRESHOLD')),
    /** `model`, `vad`: the wait when their last word needs more: a digit being dictated, "um", "and", "the". */
    unfinishedDelayMs: ms(0, MAX_TURN_WAIT_MS).default(1200).describe(env('TURN_UNFINISHED_DELAY_MS')),
    /** Added to each on a phone line, where 8 kHz speech leaves the models and the VAD less to go on. */
    phoneExtraDelayMs: ms(0, MAX_TURN_WAIT_MS).default(0).describe(env('TURN_PHONE_EXTRA_DELAY_MS')),
    /**
     * The longest the turn waits, after the caller's last speech, for a final transcript the STT
     * owes (it heard speech it has not transcribed yet). Normally it comes within ~100 ms of the
     * VAD's end of speech, and on a loaded machine seconds later.
     */
    transcriptWaitMs: ms(0, MAX_TURN_WAIT_MS).default(4000).describe(env('TURN_TRANSCRIPT_WAIT_MS')),
    /**
     * `model`: the audio model's end-of-turn probability below which the caller is not done. Its own
     * for English, 0.36, is calibrated on natural speech and calls most of the synthetic callers'
     * finished turns unfinished (docs/configuration.md).
     */
    modelThreshold: z.number().min(0).max(1).default(0.2).describe(env('TURN_MODEL_THRESHOLD')),
    /**
     * The VAD hears the caller through a gate keyed to their own speech level
     * (plugins/speech-level-gate): a room of other voices 10 dB under the caller, which Silero takes
     * for speech, reaches it as silence, so the caller's turn can end in a noisy room.
     */
    speechGate: z.boolean().default(false).describe(env('TURN_SPEECH_GATE')),
    /** Silero's speech probability above which a window is speech. */
    vadActivationThreshold: z.number().min(0.05).max(0.95).default(0.5).describe(env('TURN_VAD_ACTIVATION_THRESHOLD')),
    /**
     * Silence that ends a speech segment for the VAD. The turn ends at the later of this and
     * the endpointing delay (both count from the end of speech): at silero's own 550 ms the
     * endpointing delay below it would have no effect, so the VAD is kept shorter and the
     * endpointing delay is the one knob. The model is asked after 200 ms of silence, so with
     * `model` this must not be shorter.
     */
    vadMinSilenceMs: ms(50, 3000).default(250).describe(env('TURN_VAD_MIN_SILENCE_MS')),
    /**
     * Caller speech over the agent for this long pauses its playout, so a barge-in is heard to stop
     * the agent at once (`npm run bench -- interruptions` measures it); a transcript then confirms
     * the interruption. The pause alone cuts nothing off: a reply paused by a noise resumes.
     */
    minInterruptionDurationMs: ms(0, MAX_TURN_WAIT_MS).default(80).describe(env('TURN_MIN_INTERRUPTION_DURATION_MS')),
    minInterruptionWords: z.number().int().min(0).default(0).describe(env('TURN_MIN_INTERRUPTION_WORDS')),
    /** A pause with no transcript after it (a cough, a click) ends after this: the reply resumes where it stopped. */
    falseInterruptionTimeoutMs: ms(1, MAX_TURN_WAIT_MS).default(1000).describe(env('TURN_FALSE_INTERRUPTION_TIMEOUT_MS')),
    resumeFalseInterruption: z.boolean().default(true).describe(env('TURN_RESUME_FALSE_INTERRUPTION')),
    /** "uh-huh", "yeah", "okay" while the agent speaks are not interruptions (agent/session/interruptions/backchannel-filter.ts). */
    ignoreBackchannels: z.boolean().default(true).describe(env('TURN_IGNORE_BACKCHANNELS')),
    /** Start the LLM on the final transcript before the turn is declared over. */
    preemptiveGeneration: z.boolean().default(true).describe(env('TURN_PREEMPTIVE_GENERATION')),
    /** Preemptive generation synthesizes speech too, so the reply plays the moment the turn ends (a discarded guess costs TTS characters). */
    preemptiveTts: z.boolean().default(true).describe(env('TURN_PREEMPTIVE_TTS')),
  })
  .strict()
  .transform((t) => ({
    ...t,
    minEndpointingDelayMs: t.minEndpointingDelayMs ?? DEFAULT_ENDPOINTING_DELAYS_MS[t.detector].min,
    maxEndpointingDelayMs: t.maxEndpointingDelayMs ?? DEFAULT_ENDPOINTING_DELAYS_MS[t.detector].max,
  }))
  .refine((t) => t.maxEndpointingDelayMs >= t.minEndpointingDelayMs, {
    message: 'maxEndpointingDelayMs must be >= minEndpointingDelayMs',
    path: ['maxEndpointingDelayMs'],
  })
  .refine((t) => t.detector !== 'combined' || (t.minEndpointingDelayMs <= t.unsureDelayMs && t.unsureDelayMs <= t.maxEndpointingDelayMs), {
    message: 'unsureDelayMs must be between minEndpointingDelayMs and maxEndpointingDelayMs',
    path: ['unsureDelayMs'],
  })
  .refine((t) => t.unsureThreshold <= t.doneThreshold, { message: 'unsureThreshold must be <= doneThreshold', path: ['unsureThreshold'] })
  .refine((t) => t.detector !== 'model' || t.vadMinSilenceMs >= 200, {
    message: 'vadMinSilenceMs must be >= 200 with the model detector, which is asked after 200 ms of silence',
    path: ['vadMinSilenceMs'],
  });

const phoneSchema = z
  .object({
    /**
     * Where a phone caller who asks for a person is transferred (a cold SIP REFER through
     * livekit-sip): `tel:+15550100999` or `sip:desk@pbx.example.com`. Unset: the agent offers no transfer.
     */
    transferTo: z
      .string()
      .regex(/^(tel:\+[1-9]\d{6,14}|sips?:[^\s@]+@[^\s@]+)$/, 'must be tel:+<E.164 number> or sip:user@host')
      .optional()
      .describe(env('PHONE_TRANSFER_TO')),
    /** Keys a phone caller types end with `#`, or after this long without another key. */
    keypadPauseMs: ms(300, 10_000).default(2000).describe(env('PHONE_KEYPAD_PAUSE_MS')),
  })
  .strict();

const providerRequestsSchema = z
  .object({
    /**
     * Per-attempt timeout of an STT, LLM or TTS request; a stalled provider fails after this. Under
     * 100 ms requests that were on their way fail; a provider silent for 10 minutes has lost the call anyway.
     */
    timeoutMs: ms(100, 10 * 60_000)
      .default(10_000)
      .describe(env('PROVIDER_TIMEOUT_MS')),
    /** Retries before an error is reported; the framework retries only errors marked retryable. */
    maxRetry: z.number().int().min(0).max(10).default(2).describe(env('PROVIDER_MAX_RETRY')),
    /**
     * Wait before a retry, and before reopening a lost STT stream (doubled per failure up to 8×).
     * At 0 a lost stream is reopened as fast as the provider refuses it, hundreds of times a second;
     * past 10 s the caller goes unheard too long.
     */
    retryIntervalMs: ms(10, 10_000).default(200).describe(env('PROVIDER_RETRY_INTERVAL_MS')),
  })
  .strict();

export const configSchema = z
  .object({
    livekit: z
      .object({
        /** The worker turns `http(s)://` into `ws(s)://` for its connection, and the server APIs take either. */
        url: urlOf(['ws', 'wss', 'http', 'https'])
          .refine((url) => !hasUserInfo(url), { message: LIVEKIT_URL_USER_INFO_REFUSED })
          .describe(env('LIVEKIT_URL')),
        apiKey: credential.describe(env('LIVEKIT_API_KEY')),
        apiSecret: credential.describe(env('LIVEKIT_API_SECRET')),
      })
      .strict(),
    worker: z
      .object({
        agentName: z
          .string()
          .min(1)
          .default(DEFAULT_AGENT_NAME)
          .describe(env(['AGENT_NAME', 'LIVEKIT_AGENT_NAME'])),
        /**
         * The region this worker's pool serves (docs/regions.md): set on the agent's participant as
         * the `voice-agent.region` attribute, logged with each call, and reported with the pool's load.
         */
        region: z
          .string()
          .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes, e.g. us-east')
          .optional()
          .describe(env('AGENT_REGION')),
        /**
         * Machine CPU load (0-1) above which the worker reports itself full and livekit-server stops
         * dispatching to it (a refused dispatch is not retried). `Infinity` never sheds calls.
         */
        loadThreshold: z.number().positive().default(0.7).describe(env('AGENT_LOAD_THRESHOLD')),
        /**
         * When set, the worker's load is its number of calls out of this many (full at the limit)
         * instead of the machine's CPU, and `loadThreshold` is not used.
         */
        maxConcurrentCalls: z.number().int().positive().optional().describe(env('AGENT_MAX_CONCURRENT_CALLS')),
        /**
         * livekit-server's `agents.target_load` (its default, 0.7): it dispatches only while a worker's
         * load is below it. With `maxConcurrentCalls` the share of calls in use is reported scaled to
         * it, so the worker is offered calls up to its limit (reported unscaled, a worker of 4 calls is
         * offered no 4th: 3/4 > 0.7).
         */
        livekitTargetLoad: z.number().gt(0).max(1).default(0.7).describe(env('AGENT_LIVEKIT_TARGET_LOAD')),
        numIdleProcesses: z.number().int().positive().optional().describe(env('AGENT_NUM_IDLE_PROCESSES')),
        /**
         * How long a job process may take from its fork to ready (models loaded) before the framework
         * kills it and forks another. The framework's 10 s is too short on a busy 2-core machine
         * (docs/configuration.md), and each process killed leaves a call waiting for another.
         */
        processInitTimeoutMs: ms(1000, MAX_TIMER_MS).default(30_000).describe(env('AGENT_PROCESS_INIT_TIMEOUT_MS')),
        httpPort: z.number().int().min(1).max(65535).default(DEFAULT_WORKER_HTTP_PORT).describe(env('AGENT_HTTP_PORT')),
        /** `0.0.0.0` where the port must be reached from outside, e.g. a container's health probe or a Prometheus scraper. */
        httpHost: listenHost.default(DEFAULT_WORKER_HTTP_HOST).describe(env('AGENT_HTTP_HOST')),
        /** How long SIGTERM waits for active calls to end. */
        drainTimeoutMs: ms(1, MAX_TIMER_MS)
          .default(30 * 60_000)
          .describe(env('AGENT_DRAIN_TIMEOUT_MS')),
      })
      .strict()
      .default({}),
    agent: z
      .object({
        instructions: z
          .string()
          .min(1)
          .default('You are a helpful voice assistant. Answer briefly, in plain spoken sentences.')
          .describe(env('AGENT_INSTRUCTIONS')),
        greeting: z.string().min(1).default('Hello! How can I help you today?').describe(env('AGENT_GREETING')),
        /** Said when a provider failed for good on a turn, so the caller is not left in silence. */
        apology: z.string().min(1).default('Sorry, I had a problem just now. Could you say that again?').describe(env('AGENT_APOLOGY')),
        /** Said by the agent that takes over a call whose agent was lost (a job process or worker died). */
        resumption: z.string().min(1).default(DEFAULT_RESUMPTION).describe(env('AGENT_RESUMPTION')),
      })
      .strict()
      .default({}),
    localProviders: z
      .object({ url: providerUrl.default(DEFAULT_LOCAL_PROVIDERS_URL).describe(env('LOCAL_PROVIDERS_URL')) })
      .strict()
      .default({}),
    /**
     * Where calls in progress are kept (`redis://host:port`), so that a call outlives its job process
     * or worker (agent/continuity): unset, a call whose job dies is lost.
     */
    redis: z
      .object({ url: urlOf(['redis', 'rediss']).optional().describe(env('REDIS_URL')) })
      .strict()
      .default({}),
    log: z
      .object({
        /**
         * What callers and the agent said, in the logs (framework `lk.pii.*` fields, turn records):
         * off, it is left out, so conversations do not end up in log storage; on for debugging.
         * Phone numbers are cut to their last four digits either way.
         */
        transcripts: z.boolean().default(false).describe(env('LOG_TRANSCRIPTS')),
      })
      .strict()
      .default({}),
    audio: z
      .object({
        /**
         * Server-side echo cancellation of the agent's own voice in the caller's audio, before the VAD:
         * `auto` for SIP callers only (phones have no echo canceller the agent can rely on; LiveKit
         * clients run their own), `on` for every caller, `off`.
         */
        echoCancellation: z.enum(['auto', 'on', 'off']).default('auto').describe(env('AUDIO_ECHO_CANCELLATION')),
      })
      .strict()
      .default({}),
    phone: phoneSchema.default({}),
    stt: sttSchema.default({}),
    llm: llmSchema.default({}),
    tts: ttsSchema.default({}),
    turn: turnSchema.default({}),
    providerRequests: providerRequestsSchema.default({}),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    // Cloud providers need a key; local ones accept any. Checked here so the worker stops at start, not mid-call.
    const needsKey: [string, { provider: string; apiKey?: string; baseUrl?: string }][] = [
      ['stt', cfg.stt],
      ['llm', cfg.llm],
      ['tts', cfg.tts],
    ];
    for (const [stage, c] of needsKey) {
      if (c.provider !== 'local' && !c.apiKey && !c.baseUrl) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: [stage, 'apiKey'],
          message: `required when ${stage}.provider is '${c.provider}' (or set ${stage}.baseUrl for a keyless server)`,
        });
      }
    }
  });

export type AgentConfig = z.infer<typeof configSchema>;
