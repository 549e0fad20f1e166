import { ReadableStream, type ReadableStreamDefaultController } from 'node:stream/web';
import { type APIConnectOptions, initializeLogger, stt, type VAD, voice } from '@livekit/agents';
import { AudioFrame } from '@livekit/rtc-node';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { loadConfig } from '../../agent/config/load.js';
import type { AgentConfig } from '../../agent/config/schema.js';
import { buildLlm, buildTts, buildVad, reconnecting } from '../../agent/providers/build.js';
import { Conversation } from '../../agent/session/conversation.js';
import { type RunningLocalProviders, startLocalProviders } from '../../harness/local-providers/index.js';
import { waitFor } from '../../harness/stack/wait.js';
import { installedModelPath, TextEndOfTurnScorer } from '../../plugins/text-end-of-turn/index.js';

/**
 * A call held in this process, on the agent's own Conversation (agent/session/conversation.ts), for
 * the fast test layer: no room and no WebRTC. The caller's side is a microphone (silence, or speech a test
 * plays for the session's VAD to hear) and a scripted STT at the provider boundary (what the caller "says" arrives as its transcripts); the
 * LLM and TTS are the production plugins against the local providers; the agent's audio plays out
 * on a speaker faster than real time.
 */

/** How much faster than real time the agent's audio plays unless told otherwise: a 25 s story takes ~6 s. */
const FAST_FORWARD = 4;
const MIC_FRAME_MS = 20;
const MIC_RATE = 16_000;

/**
 * The caller's microphone without WebRTC: 20 ms frames paced in real time, of what the test has it
 * play (16 kHz speech, heard by the session's real VAD), silence otherwise.
 */
class CallerAudioInput extends voice.AudioInput {
  readonly #timer: NodeJS.Timeout;
  #playing?: { pcm: Int16Array; offset: number; done: () => void };

  constructor() {
    super();
    let controller!: ReadableStreamDefaultController<AudioFrame>;
    this.multiStream.addInputStream(new ReadableStream<AudioFrame>({ start: (c) => void (controller = c) }));
    const samples = (MIC_RATE * MIC_FRAME_MS) / 1000;
    this.#timer = setInterval(() => controller.enqueue(new AudioFrame(this.#nextFrame(samples), MIC_RATE, 1, samples)), MIC_FRAME_MS);
  }

  /** Plays `pcm` (16 kHz); resolves when its last frame was sent. */
  play(pcm: Int16Array): Promise<void> {
    if (this.#playing) throw new Error('the microphone is already playing');
    return new Promise((done) => (this.#playing = { pcm, offset: 0, done }));
  }

  override async close(): Promise<void> {
    clearInterval(this.#timer);
    await super.close();
  }

  #nextFrame(samples: number): Int16Array {
    const frame = new Int16Array(samples);
    const playing = this.#playing;
    if (!playing) return frame;
    frame.set(playing.pcm.subarray(playing.offset, playing.offset + samples));
    playing.offset += samples;
    if (playing.offset >= playing.pcm.length) {
      this.#playing = undefined;
      playing.done();
    }
    return frame;
  }
}

/**
 * The agent's audio played out, `speed` times faster than real time, with pauses and interruptions
 * as the room's output has them: a segment finishes once its audio has played, or at once when cleared.
 */
class Speaker extends voice.AudioOutput {
  /** Audio of the segment in progress, and how much of it has played (seconds). */
  #captured = 0;
  #played = 0;
  #playingSince?: number;
  #flushed = false;
  readonly #timer: NodeJS.Timeout;
  /** When the caller heard the agent (Date.now(), 10 ms resolution); `to` unset while it plays. */
  readonly playout: { from: number; to?: number }[] = [];

  constructor(private readonly speed: number) {
    super(undefined, undefined, { pause: true });
    this.#timer = setInterval(() => this.#tick(), 10);
  }

  override async captureFrame(frame: AudioFrame): Promise<void> {
    await super.captureFrame(frame);
    if (this.#captured === 0) {
      this.#playingSince = performance.now();
      this.onPlaybackStarted(Date.now());
    }
    this.#captured += frame.samplesPerChannel / frame.sampleRate;
  }

  override flush(): void {
    super.flush();
    this.#flushed = true;
  }

  clearBuffer(): void {
    this.#advance();
    if (this.#captured > 0) this.#finish(true);
  }

  override pause(): void {
    this.#advance();
    this.#playingSince = undefined;
  }

  override resume(): void {
    this.#playingSince ??= performance.now();
  }

  close(): void {
    clearInterval(this.#timer);
  }

  #advance(): void {
    if (this.#playingSince === undefined) return;
    const now = performance.now();
    this.#played = Math.min(this.#captured, this.#played + ((now - this.#playingSince) / 1000) * this.speed);
    this.#playingSince = now;
  }

  #tick(): void {
    this.#advance();
    const playing = this.#playingSince !== undefined && this.#played < this.#captured;
    const last = this.playout.at(-1);
    if (playing && (last === undefined || last.to !== undefined)) this.playout.push({ from: Date.now() });
    if (!playing && last !== undefined && last.to === undefined) last.to = Date.now();
    if (this.#flushed && this.#captured > 0 && this.#played >= this.#captured) this.#finish(false);
  }

  #finish(interrupted: boolean): void {
    const position = this.#played;
    this.#captured = 0;
    this.#played = 0;
    this.#flushed = false;
    this.#playingSince = undefined;
    this.onPlaybackFinished({ playbackPosition: position, interrupted });
  }
}

/** A provider stream whose events the test decides. */
class ScriptedSpeechStream extends stt.SpeechStream {
  label = 'scripted-stt.stream';
  #end!: () => void;
  readonly #ended = new Promise<void>((resolve) => (this.#end = resolve));

  send(event: stt.SpeechEvent): void {
    this.queue.put(event);
  }

  /** The provider ends the stream, as when its socket closes. */
  endStream(): void {
    this.#end();
  }

  protected async run(): Promise<void> {
    const drained = (async () => {
      for await (const _ of this.input) {
        // the audio is not listened to: the script says what was heard
      }
    })();
    await Promise.race([drained, this.#ended]);
  }
}

const transcript = (type: stt.SpeechEventType, text: string): stt.SpeechEvent => ({
  type,
  alternatives: [{ text, language: 'en' as never, startTime: 0, endTime: 0, confidence: 1 }],
});

/**
 * The STT at the provider boundary: it "hears" what the test says, with the event sequence of the
 * realtime transcription the agent uses (speech starts; as it ends, the interim, the end of speech,
 * then the final transcript).
 */
export class ScriptedSTT extends stt.STT {
  label = 'scripted-stt';
  #stream?: ScriptedSpeechStream;
  /** Streams the agent opened, reconnections included. */
  streamsOpened = 0;

  constructor() {
    super({ streaming: true, interimResults: true });
  }

  protected _recognize(): Promise<stt.SpeechEvent> {
    throw new Error('ScriptedSTT streams only');
  }

  stream(options: { connOptions?: APIConnectOptions } = {}): stt.SpeechStream {
    this.#stream = new ScriptedSpeechStream(this, undefined, options.connOptions);
    this.streamsOpened++;
    return this.#stream;
  }

  /**
   * The caller says `text`, for as long as `during` takes (e.g. the microphone playing it; at once
   * if not given); `interim` is what the STT had when the utterance ended, and the final follows
   * `finalAfterMs` later, dated to the end of speech (the turn's silence counts from there).
   * Resolves when the final is sent.
   */
  async utter(
    text: string,
    opts: { interim?: string; finalAfterMs?: number; during?: Promise<unknown> } = {},
  ): Promise<{ finalAt: number }> {
    const stream = this.#current();
    stream.send({ type: stt.SpeechEventType.START_OF_SPEECH });
    await opts.during;
    stream.send(transcript(stt.SpeechEventType.INTERIM_TRANSCRIPT, opts.interim ?? text));
    const speechEndTime = Date.now();
    stream.send({ type: stt.SpeechEventType.END_OF_SPEECH });
    await new Promise((r) => setTimeout(r, opts.finalAfterMs ?? 50));
    const finalAt = Date.now();
    stream.send({ ...transcript(stt.SpeechEventType.FINAL_TRANSCRIPT, text), speechEndTime });
    return { finalAt };
  }

  /** The caller starts speaking, and the provider's stream ends before it transcribed anything. */
  loseUtterance(): void {
    const stream = this.#current();
    stream.send({ type: stt.SpeechEventType.START_OF_SPEECH });
    stream.endStream();
  }

  #current(): ScriptedSpeechStream {
    if (!this.#stream) throw new Error('the agent has not opened an STT stream yet');
    return this.#stream;
  }
}

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
