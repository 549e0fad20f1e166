/**
 * The local providers: OpenAI's and Cartesia's APIs on offline engines, for the `local` stages of
 * the agent. What the stack, the tests and the benchmarks use of them.
 */
export {
  type ConcurrencyLimits,
  DEFAULT_CONCURRENCY_LIMITS,
  MAX_AUDIO_BODY_BYTES,
  MAX_FAULT_COUNT,
  MAX_JSON_BODY_BYTES,
  MAX_SOCKET_MESSAGE_BYTES,
  WAV_UPLOAD_LIMITS,
} from './limits.js';
export { RequestLog, type RequestOutcome, type RequestRecord } from './request-log.js';
export { loadResponderScript, parseResponderScript, ScriptedResponder } from './responder.js';
export { DEFAULT_RESPONDER_SCRIPT, type LocalProvidersOptions, type RunningLocalProviders, startLocalProviders } from './server.js';
export {
  type FaultKind,
  LATENCY_PROFILE_NAMES,
  LATENCY_PROFILES,
  type LatencyProfileName,
  latencyProfileNamed,
  type ProviderStage,
} from './stage-behaviour.js';
