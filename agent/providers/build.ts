import type { llm, stt, tts, VAD } from '@livekit/agents';
import * as cartesia from '@livekit/agents-plugin-cartesia';
import * as openai from '@livekit/agents-plugin-openai';
import * as silero from '@livekit/agents-plugin-silero';
import { LOCAL_TELEPHONY_STT_MODEL } from '../../contracts/local-providers.js';
import { SpeechLevelGatedVAD } from '../../plugins/speech-level-gate/index.js';
import { TextEndOfTurn } from '../../plugins/text-end-of-turn/index.js';
import type { AgentConfig } from '../config/schema.js';
import type { TurnEndScorers } from '../session/turn-taking/turn-end-detector.js';
import { ReconnectingSTT } from './reconnecting-stt.js';
import { RetryingSTT } from './retrying-stt.js';

/**
 * The local providers accept any key, but both plugins refuse to start without one;
 * this placeholder keeps the production code path (real plugins, real wire protocols) unchanged.
 */
const LOCAL_API_KEY = 'local';

interface Endpoint {
  baseUrl?: string;
  apiKey?: string;
}

/** `local` stages talk to the local providers; others use their own baseUrl or the vendor's default. */
function endpoint(stage: { provider: string; baseUrl?: string; apiKey?: string }, localUrl: string, path = ''): Endpoint {
  if (stage.provider === 'local') {
    return { baseUrl: stage.baseUrl ?? `${localUrl.replace(/\/$/, '')}${path}`, apiKey: stage.apiKey ?? LOCAL_API_KEY };
  }
  // A keyless OpenAI-compatible server (Ollama, llama.cpp) is allowed by the schema: give the plugin a placeholder.
  return { baseUrl: stage.baseUrl, apiKey: stage.apiKey ?? LOCAL_API_KEY };
}

/** Silero, heard through the speech-level gate unless it is off (turn.speechGate). */
export async function buildVad(cfg: AgentConfig): Promise<VAD> {
  const vad = await silero.VAD.load({ activationThreshold: cfg.turn.vadActivationThreshold, minSilenceDuration: cfg.turn.vadMinSilenceMs });
  return cfg.turn.speechGate ? new SpeechLevelGatedVAD(vad) : vad;
}

/**
 * The combined turn detector's models in a job: the text one asked of the worker's inference process
 * (registered by agent/main.ts before the worker starts).
 */
export function turnEndScorers(): TurnEndScorers {
  const text = new TextEndOfTurn();
  return { text: (agentText, words) => text.score(agentText, words) };
}

/**
 * `onTranscriptionLost`: an utterance was lost to the provider (retries exhausted, or the stream
 * failed mid-utterance). `phone`: the caller is on the phone, so the telephony model is asked for.
 */
export function buildStt(cfg: AgentConfig, onTranscriptionLost?: () => void, opts: { phone?: boolean } = {}): stt.STT {
  const { baseUrl, apiKey } = endpoint(cfg.stt, cfg.localProviders.url, '/v1');
  const server = { language: cfg.stt.language, baseURL: baseUrl, apiKey };
  const phoneModel = opts.phone
    ? (cfg.stt.phoneModel ?? (cfg.stt.provider === 'local' ? LOCAL_TELEPHONY_STT_MODEL : undefined))
    : undefined;
  if (cfg.stt.streaming) {
    // `agent`: no turn detection on the provider and no VAD of the plugin's own; the session's VAD
    // commits each utterance (agent/session/turn-taking/stt-commit.ts). `provider`: its server VAD does, after
    // its silence.
    const agentCommits = cfg.stt.commit === 'agent';
    const transcriber = new openai.STT({
      useRealtime: true,
      model: phoneModel ?? cfg.stt.model ?? 'gpt-4o-transcribe',
      ...server,
      turnDetection: agentCommits
        ? null
        : { type: 'server_vad', threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: cfg.stt.endOfUtteranceSilenceMs },
      ...(agentCommits ? { vad: null } : {}),
    });
    return reconnecting(transcriber, cfg, onTranscriptionLost, agentCommits);
  }
  // The HTTP transcription endpoint: AgentSession wraps it with the VAD into a stream (one request per utterance).
  const transcriber = new openai.STT({
    useRealtime: false,
    model: phoneModel ?? cfg.stt.model ?? 'whisper-1',
    ...server,
  });
  return new RetryingSTT(transcriber, { ...cfg.providerRequests, onGiveUp: onTranscriptionLost });
}

/** A streaming STT kept open for the whole call: every stream the provider ends is replaced (see ReconnectingSTT). */
export function reconnecting(
  transcriber: stt.STT,
  cfg: AgentConfig,
  onTranscriptionLost?: () => void,
  agentCommits = false,
): ReconnectingSTT {
  return new ReconnectingSTT(transcriber, {
    retryIntervalMs: cfg.providerRequests.retryIntervalMs,
    onUtteranceLost: onTranscriptionLost,
    agentCommits,
  });
}

export function buildLlm(cfg: AgentConfig): llm.LLM {
  const { baseUrl, apiKey } = endpoint(cfg.llm, cfg.localProviders.url, '/v1');
  return new openai.LLM({ model: cfg.llm.model, temperature: cfg.llm.temperature, baseURL: baseUrl, apiKey });
}

export function buildTts(cfg: AgentConfig): tts.TTS {
  const { provider, model, voice } = cfg.tts;
  if (provider === 'openai') {
    const { baseUrl, apiKey } = endpoint(cfg.tts, cfg.localProviders.url);
    return new openai.TTS({
      baseURL: baseUrl,
      apiKey,
      ...(model ? { model } : {}),
      ...(voice ? { voice: voice as openai.TTSVoices } : {}),
    });
  }
  // `local` and `cartesia` share the Cartesia WebSocket protocol: streaming input, word timestamps.
  const { baseUrl, apiKey } = endpoint(cfg.tts, cfg.localProviders.url);
  return new cartesia.TTS({ apiKey, ...(baseUrl ? { baseUrl } : {}), ...(model ? { model } : {}), ...(voice ? { voice } : {}) });
}
