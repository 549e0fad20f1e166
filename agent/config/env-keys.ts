import { isSecretKey } from './config-secrets.js';

export type ValueKind = 'string' | 'number' | 'boolean';

/** Environment variables and the config keys they set. Environment wins over the config file. */
export const ENV_KEYS: Readonly<Record<string, readonly [path: string, kind: ValueKind]>> = {
  LIVEKIT_URL: ['livekit.url', 'string'],
  LIVEKIT_API_KEY: ['livekit.apiKey', 'string'],
  LIVEKIT_API_SECRET: ['livekit.apiSecret', 'string'],
  AGENT_NAME: ['worker.agentName', 'string'],
  // The name LiveKit's starters use; both may be set if they agree.
  LIVEKIT_AGENT_NAME: ['worker.agentName', 'string'],
  AGENT_REGION: ['worker.region', 'string'],
  AGENT_LOAD_THRESHOLD: ['worker.loadThreshold', 'number'],
  AGENT_MAX_CONCURRENT_CALLS: ['worker.maxConcurrentCalls', 'number'],
  AGENT_LIVEKIT_TARGET_LOAD: ['worker.livekitTargetLoad', 'number'],
  AGENT_NUM_IDLE_PROCESSES: ['worker.numIdleProcesses', 'number'],
  AGENT_PROCESS_INIT_TIMEOUT_MS: ['worker.processInitTimeoutMs', 'number'],
  AGENT_HTTP_PORT: ['worker.httpPort', 'number'],
  AGENT_HTTP_HOST: ['worker.httpHost', 'string'],
  AGENT_DRAIN_TIMEOUT_MS: ['worker.drainTimeoutMs', 'number'],
  AGENT_INSTRUCTIONS: ['agent.instructions', 'string'],
  AGENT_GREETING: ['agent.greeting', 'string'],
  AGENT_APOLOGY: ['agent.apology', 'string'],
  LOCAL_PROVIDERS_URL: ['localProviders.url', 'string'],
  REDIS_URL: ['redis.url', 'string'],
  LOG_TRANSCRIPTS: ['log.transcripts', 'boolean'],
  AGENT_RESUMPTION: ['agent.resumption', 'string'],
  PHONE_TRANSFER_TO: ['phone.transferTo', 'string'],
  PHONE_KEYPAD_PAUSE_MS: ['phone.keypadPauseMs', 'number'],
  STT_PROVIDER: ['stt.provider', 'string'],
  STT_STREAMING: ['stt.streaming', 'boolean'],
  STT_MODEL: ['stt.model', 'string'],
  STT_PHONE_MODEL: ['stt.phoneModel', 'string'],
  STT_END_OF_UTTERANCE_SILENCE_MS: ['stt.endOfUtteranceSilenceMs', 'number'],
  STT_COMMIT: ['stt.commit', 'string'],
  STT_PREFLIGHT_TRANSCRIPTS: ['stt.preflightTranscripts', 'boolean'],
  STT_LANGUAGE: ['stt.language', 'string'],
  STT_BASE_URL: ['stt.baseUrl', 'string'],
  STT_API_KEY: ['stt.apiKey', 'string'],
  LLM_PROVIDER: ['llm.provider', 'string'],
  LLM_MODEL: ['llm.model', 'string'],
  LLM_TEMPERATURE: ['llm.temperature', 'number'],
  LLM_BASE_URL: ['llm.baseUrl', 'string'],
  LLM_API_KEY: ['llm.apiKey', 'string'],
  TTS_PROVIDER: ['tts.provider', 'string'],
  TTS_MODEL: ['tts.model', 'string'],
  TTS_VOICE: ['tts.voice', 'string'],
  TTS_FIRST_PHRASE_WORDS: ['tts.firstPhraseWords', 'number'],
  TTS_BASE_URL: ['tts.baseUrl', 'string'],
  TTS_API_KEY: ['tts.apiKey', 'string'],
  TURN_DETECTOR: ['turn.detector', 'string'],
  TURN_MIN_ENDPOINTING_DELAY_MS: ['turn.minEndpointingDelayMs', 'number'],
  TURN_MAX_ENDPOINTING_DELAY_MS: ['turn.maxEndpointingDelayMs', 'number'],
  TURN_MIN_INTERRUPTION_DURATION_MS: ['turn.minInterruptionDurationMs', 'number'],
  TURN_MIN_INTERRUPTION_WORDS: ['turn.minInterruptionWords', 'number'],
  TURN_FALSE_INTERRUPTION_TIMEOUT_MS: ['turn.falseInterruptionTimeoutMs', 'number'],
  TURN_RESUME_FALSE_INTERRUPTION: ['turn.resumeFalseInterruption', 'boolean'],
  TURN_IGNORE_BACKCHANNELS: ['turn.ignoreBackchannels', 'boolean'],
  AUDIO_ECHO_CANCELLATION: ['audio.echoCancellation', 'string'],
  TURN_UNFINISHED_DELAY_MS: ['turn.unfinishedDelayMs', 'number'],
  TURN_PHONE_EXTRA_DELAY_MS: ['turn.phoneExtraDelayMs', 'number'],
  TURN_TRANSCRIPT_WAIT_MS: ['turn.transcriptWaitMs', 'number'],
  TURN_MODEL_THRESHOLD: ['turn.modelThreshold', 'number'],
  TURN_UNSURE_DELAY_MS: ['turn.unsureDelayMs', 'number'],
  TURN_DONE_THRESHOLD: ['turn.doneThreshold', 'number'],
  TURN_UNSURE_THRESHOLD: ['turn.unsureThreshold', 'number'],
  TURN_SPEECH_GATE: ['turn.speechGate', 'boolean'],
  TURN_VAD_ACTIVATION_THRESHOLD: ['turn.vadActivationThreshold', 'number'],
  TURN_VAD_MIN_SILENCE_MS: ['turn.vadMinSilenceMs', 'number'],
  TURN_PREEMPTIVE_GENERATION: ['turn.preemptiveGeneration', 'boolean'],
  TURN_PREEMPTIVE_TTS: ['turn.preemptiveTts', 'boolean'],
  PROVIDER_TIMEOUT_MS: ['providerRequests.timeoutMs', 'number'],
  PROVIDER_MAX_RETRY: ['providerRequests.maxRetry', 'number'],
  PROVIDER_RETRY_INTERVAL_MS: ['providerRequests.retryIntervalMs', 'number'],
};

/** The file named by this variable (YAML or JSON) is read first; the environment overrides it. */
export const CONFIG_FILE_ENV = 'AGENT_CONFIG';

/** Vendor keys used when a stage selects that vendor and sets no key of its own. */
export const VENDOR_KEYS: Readonly<Record<string, string>> = {
  openai: 'OPENAI_API_KEY',
  cartesia: 'CARTESIA_API_KEY',
};

/** The variables that hold credentials: those setting a secret key, and the vendors' keys. */
export const SECRET_ENV_NAMES = [
  ...Object.entries(ENV_KEYS)
    .filter(([, [path]]) => isSecretKey(path))
    .map(([name]) => name),
  ...Object.values(VENDOR_KEYS),
];

/** An environment value as its key's kind: numbers and booleans parsed, anything else left for the schema to name. */
export function coerce(value: string, kind: ValueKind): unknown {
  if (kind === 'number') {
    // Leave non-numbers as strings so the schema reports them with the key's name.
    const n = Number(value); // 'Infinity' is a number here (e.g. a load threshold that never sheds calls)
    return value.trim() !== '' && !Number.isNaN(n) ? n : value;
  }
  if (kind === 'boolean') {
    if (/^(1|true|yes|on)$/i.test(value)) return true;
    if (/^(0|false|no|off)$/i.test(value)) return false;
  }
  return value;
}

/** For a key that nobody set, say which variable would set it. */
export function envHint(path: string): string | undefined {
  const name = Object.entries(ENV_KEYS).find(([, [p]]) => p === path)?.[0];
  return name ? `not set; set ${name}` : undefined;
}
