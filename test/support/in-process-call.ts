import { initializeLogger, type VAD, voice } from '@livekit/agents';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { loadConfig } from '../../agent/config/load.js';
import type { AgentConfig } from '../../agent/config/schema.js';
import { buildLlm, buildTts, buildVad, reconnecting } from '../../agent/providers/build.js';
import { Conversation } from '../../agent/session/conversation.js';
import { type RunningLocalProviders, startLocalProviders } from '../../harness/local-providers/index.js';
import { waitFor } from '../../harness/stack/wait.js';
import { installedModelPath, TextEndOfTurnScorer } from '../../plugins/text-end-of-turn/index.js';
import { CallerAudioInput } from './caller-audio-input.js';
import { Speaker } from './fast-speaker.js';
import { ScriptedSTT } from './scripted-stt.js';

/**
 * A call held in this process, on the agent's own Conversation (agent/session/conversation.ts), for
 * the fast test layer: no room and no WebRTC. The caller's side is a microphone (silence, or speech a test
 * plays for the session's VAD to hear) and a scripted STT at the provider boundary (what the caller "says" arrives as its transcripts); the
 * LLM and TTS are the production plugins against the local providers; the agent's audio plays out
 * on a speaker faster than real time.
 */

/** How much faster than real time the agent's audio plays unless told otherwise: a 25 s story takes ~6 s. */
const FAST_FORWARD = 4;

export interface InProcessCall {
  conversation: Conversation;
  stt: ScriptedSTT;
  /** Plays 16 kHz speech into the call (the STT events stay the script's); resolves when it has played. */
  microphone: { play(pcm: Int16Array): Promise<void> };
  /** Messages added to the chat history, in order. */
  history: { role: string; text: string; interrupted: boolean }[];
  /** Waits for the next assistant message added after `count` messages. */
  reply(after: number): Promise<{ text: string; interrupted: boolean }>;
  /** Resolves once the agent is speaking. */
  speaking(): Promise<void>;
  /** Whether the caller heard the agent at any time between `from` and `to` (Date.now()). */
  heardBetween(from: number, to: number): boolean;
  /** When the caller next heard the agent after `from` (Date.now()), if they did. */
  heardNextAfter(from: number): number | undefined;
  /** Resolves once every speech the agent scheduled has played out, or was interrupted. */
  quiet(): Promise<void>;
  hangUp(): Promise<void>;
}

/** The worker's configuration from `env`, as the worker reads it, with no LiveKit server to join. */
export function configFrom(env: Record<string, string> = {}): AgentConfig {
  return loadConfig({ LIVEKIT_URL: 'ws://unused', LIVEKIT_API_KEY: 'unused', LIVEKIT_API_SECRET: 'unused', ...env });
}

async function startInProcessCall(
  providersUrl: string,
  vad: VAD,
  textEndOfTurn: TextEndOfTurnScorer,
  env: Record<string, string>,
  playoutSpeed: number,
): Promise<InProcessCall> {
  const cfg = configFrom({ LOCAL_PROVIDERS_URL: providersUrl, ...env });
  const scripted = new ScriptedSTT();
  const conversation = new Conversation(cfg, {
    vad,
    // The combined detector's text model in this process (a worker runs it in its inference process).
    turnEnd: { text: (agentText, words) => textEndOfTurn.score(agentText, words) },
    stt: (onTranscriptionLost) => reconnecting(scripted, cfg, onTranscriptionLost),
    llm: buildLlm(cfg),
    tts: buildTts(cfg),
  });
  const { session } = conversation;
  const microphone = new CallerAudioInput();
  const speaker = new Speaker(playoutSpeed);
  session.input.audio = microphone;
  session.output.audio = speaker;
  const history: InProcessCall['history'] = [];
  session.on(voice.AgentSessionEventTypes.ConversationItemAdded, ({ item }) => {
    if (item.type === 'message') history.push({ role: item.role, text: item.textContent ?? '', interrupted: item.interrupted });
  });
  const speeches: voice.SpeechHandle[] = [];
  session.on(voice.AgentSessionEventTypes.SpeechCreated, ({ speechHandle }) => speeches.push(speechHandle));
  await conversation.start();
  await waitFor(() => scripted.streamsOpened > 0, { timeoutMs: 5000, what: 'the agent to open its STT stream' });
  return {
    conversation,
    stt: scripted,
    microphone,
    history,
    reply: (after) =>
      waitFor(() => history.slice(after).find((m) => m.role === 'assistant'), {
        timeoutMs: 30_000,
        what: 'the agent to reply',
        intervalMs: 20,
      }),
    speaking: async () => {
      await waitFor(() => session.agentState === 'speaking', { timeoutMs: 10_000, what: 'the agent to speak', intervalMs: 10 });
    },
    heardBetween: (from, to) => speaker.playout.some((p) => p.from < to && (p.to ?? Number.POSITIVE_INFINITY) > from),
    heardNextAfter: (from) => speaker.playout.find((p) => p.from >= from)?.from,
    quiet: async () => {
      // A preemptive reply that was never scheduled (its turn was dropped) does not count.
      await waitFor(() => speeches.every((s) => s.done() || !s.scheduled), {
        timeoutMs: 30_000,
        what: 'the agent to be quiet',
        intervalMs: 10,
      });
    },
    hangUp: async () => {
      await session.close();
      speaker.close();
      await microphone.close();
    },
  };
}

export interface InProcessCalls {
  readonly providers: RunningLocalProviders;
  /**
   * Starts a call on the configuration `env` and greets the caller. `playoutSpeed` 1 where timing
   * against the framework's own timers matters (an apology that outlasts the endpointing delay).
   */
  start(env?: Record<string, string>, playoutSpeed?: number): Promise<InProcessCall>;
  /** The texts the agent spoke, as the TTS received them (a guess dropped for a newer transcript aside). */
  spoken(): string[];
  /** Resolves once the TTS has spoken `text`. */
  waitUntilSpoken(text: string): Promise<void>;
}

/**
 * For a test file: the local providers and the VAD, loaded once; each test's call hung up after it,
 * and the providers' faults, latency and log reset.
 */
export function useInProcessCalls(): InProcessCalls {
  let providers: RunningLocalProviders | undefined;
  let vad: VAD;
  let textEndOfTurn: TextEndOfTurnScorer | undefined;
  let call: InProcessCall | undefined;
  beforeAll(async () => {
    initializeLogger({ pretty: false, level: 'fatal' });
    providers = await startLocalProviders({ port: 0 });
    vad = await buildVad(configFrom());
    textEndOfTurn = await TextEndOfTurnScorer.load({ modelPath: installedModelPath() });
  });
  afterAll(async () => {
    await providers?.close();
    await textEndOfTurn?.close();
  });
  afterEach(async () => {
    await call?.hangUp();
    call = undefined;
    providers?.behaviour.reset();
    providers?.log.clear();
  });
  const spoken = () =>
    calls.providers.log
      .list('tts')
      .filter((r) => r.outcome === 'completed')
      .map((r) => (r.input as string[]).join('').trim());
  const calls: InProcessCalls = {
    get providers() {
      if (!providers) throw new Error('the local providers start in beforeAll');
      return providers;
    },
    start: async (env = {}, playoutSpeed = FAST_FORWARD) =>
      (call = await startInProcessCall(calls.providers.url, vad, textEndOfTurn!, env, playoutSpeed)),
    spoken,
    waitUntilSpoken: async (text) => {
      await waitFor(() => spoken().includes(text), { timeoutMs: 15_000, what: `the agent to say "${text}"`, intervalMs: 20 });
    },
  };
  return calls;
}
