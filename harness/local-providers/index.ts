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
export { type RequestOutcome, type RequestRecord, RequestLog } from './request-log.js';
export { ScriptedResponder, loadResponderScript, parseResponderScript } from './responder.js';
export { DEFAULT_RESPONDER_SCRIPT, type LocalProvidersOptions, type RunningLocalProviders, startLocalProviders } from './server.js';
export {
  type FaultKind,
  LATENCY_PROFILES,
  LATENCY_PROFILE_NAMES,
  type LatencyProfileName,
  type ProviderStage,
  latencyProfileNamed,
} from './stage-behaviour.js';
