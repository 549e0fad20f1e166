import type { WebSocket } from 'ws';
import { z } from 'zod';
import type { RecognizerStream, SpeechRecognizer } from '../speech/pocketsphinx.js';
import { EnergyEndpointer } from './energy-endpointer.js';
import { serveJsonSocket } from './json-socket.js';
import { type FaultTransport, type ProviderDeps, ProviderRequest } from './provider-request.js';
import { delay } from './stage-behaviour.js';

/**
 * OpenAI's realtime transcription WebSocket (`/v1/realtime?intent=transcription`), backed by
 * streaming pocketsphinx: audio is decoded while the caller speaks, so the final transcript is ready
 * a few milliseconds after the utterance ends instead of after a whole-utterance upload.
 *
 * Both ways of ending an utterance are served: `server_vad` (this server detects speech by energy,
 * energy-endpointer.ts, emits `speech_started`/`speech_stopped` and commits after
 * `silence_duration_ms`), and manual `input_audio_buffer.commit` when `turn_detection` is null (the
 * client's VAD decides).
 */

/** The rate of the audio OpenAI's realtime API takes (pcm16). */
export const REALTIME_SAMPLE_RATE = 24_000;
const SAMPLE_RATE = REALTIME_SAMPLE_RATE;

const turnDetectionSchema = z
  .object({
    type: z.string(),
    silence_duration_ms: z.number().int().min(0).default(500),
    prefix_padding_ms: z.number().int().min(0).default(300),
  })
  .passthrough()
  .nullable();

/** The GA shape (`session.audio.input.turn_detection`) and the beta one (`session.turn_detection`). */
const sessionUpdateSchema = z
  .object({
    type: z.enum(['session.update', 'transcription_session.update']),
    session: z
      .object({
        turn_detection: turnDetectionSchema.optional(),
        audio: z
          .object({ input: z.object({ turn_detection: turnDetectionSchema.optional() }).passthrough().optional() })
          .passthrough()
          .optional(),
      })
      .passthrough(),
  })
  .passthrough();

/** The client events served; anything else is answered with an `error` event. */
const clientEventSchema = z.discriminatedUnion('type', [
  sessionUpdateSchema,
  z.object({ type: z.literal('input_audio_buffer.append'), audio: z.string().base64('audio must be base64') }).passthrough(),
  z.object({ type: z.literal('input_audio_buffer.commit') }).passthrough(),
  z.object({ type: z.literal('input_audio_buffer.clear') }).passthrough(),
]);
type ClientEvent = z.infer<typeof clientEventSchema>;

type TurnDetection = z.infer<typeof turnDetectionSchema>;

const DEFAULT_TURN_DETECTION: TurnDetection = { type: 'server_vad', silence_duration_ms: 500, prefix_padding_ms: 300 };

export interface RealtimeSttDeps extends ProviderDeps {
  /** A recognizer for this connection alone: an utterance holds it until its final transcript. */
  recognizer: SpeechRecognizer;
}

interface Utterance {
  itemId: string;
  stream: RecognizerStream;
  samples: number;
  /** The recognizer's latest hypothesis, sent as one delta when the utterance ends. */
  hypothesis: string;
}

/** Serves one realtime transcription connection until it closes. */
export function handleRealtimeTranscription(socket: WebSocket, deps: RealtimeSttDeps, onClosed: () => void): void {
  const session = new RealtimeTranscription(socket, deps);
  serveJsonSocket(socket, clientEventSchema, {
    message: (event) => session.receive(event),
    invalid: (reason) => session.reject(reason),
    close: () => {
      session.close();
      onClosed();
    },
  });
}

/** One connection: its session settings, its server VAD and the utterance being transcribed. */
class RealtimeTranscription {
  #turnDetection: TurnDetection = DEFAULT_TURN_DETECTION;
  #utterance?: Utterance;
  #items = 0;
  /** The server VAD for the current turn detection settings, and its frame assembly. */
  #endpointer?: EnergyEndpointer;
  #pendingFrame = new Int16Array(0);
  #closed = false;
  readonly #faults: FaultTransport;

  constructor(
    private readonly socket: WebSocket,
    private readonly deps: RealtimeSttDeps,
  ) {
    this.#faults = { fail: (message) => this.#sendError(message), cut: () => socket.terminate() };
    this.#send({ type: 'session.created', session: { type: 'transcription' } });
  }

  receive(event: ClientEvent): void {
    switch (event.type) {
      case 'session.update':
      case 'transcription_session.update': {
        const s = event.session;
        const td = s.audio?.input?.turn_detection !== undefined ? s.audio.input.turn_detection : s.turn_detection;
        if (td !== undefined) {
          this.#turnDetection = td;
          this.#endpointer = undefined;
        }
        return this.#send({ type: event.type === 'session.update' ? 'session.updated' : 'transcription_session.updated', session: s });
      }
      case 'input_audio_buffer.append': {
        const bytes = Buffer.from(event.audio, 'base64');
        // Copied: a decoded Buffer may start at an odd offset of its pool, which Int16Array cannot view.
        return this.#append(new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + (bytes.length & ~1))));
      }
      case 'input_audio_buffer.commit': {
        const done = this.#utterance;
        this.#utterance = undefined;
        this.#endpointer = undefined;
        if (!done) return;
        this.#sendInterim(done);
        void this.#finish(done);
        return;
      }
      case 'input_audio_buffer.clear':
        this.#utterance?.stream.end().catch(() => undefined);
        this.#utterance = undefined;
        this.#endpointer = undefined;
        return;
    }
  }

  /** A message that is not a client event served here: answered as OpenAI answers one, the session carries on. */
  reject(reason: string): void {
    this.#sendError(reason);
  }

  close(): void {
    this.#closed = true;
    // Releases the recognizer: an utterance left open would hold it forever.
    this.#utterance?.stream.end().catch(() => undefined);
    this.#utterance = undefined;
  }

  #send(message: object): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(message));
  }

  #sendError(message: string): void {
    this.#send({ type: 'error', error: { type: 'invalid_request_error', message } });
  }

  #open(prefix: Int16Array[]): Utterance {
    const u: Utterance = {
      itemId: `item_local_${++this.#items}`,
      samples: 0,
      hypothesis: '',
      stream: this.deps.recognizer.stream(SAMPLE_RATE, (partial) => (u.hypothesis = partial)),
    };
    for (const chunk of prefix) this.#write(u, chunk);
    return u;
  }

  #write(u: Utterance, pcm: Int16Array): void {
    u.stream.write(pcm);
    u.samples += pcm.length;
  }

  /**
   * The plugin appends deltas, while pocketsphinx revises its hypothesis as words come in, so the
   * interim goes out once, whole, as the utterance ends (OpenAI, too, streams a transcript's deltas
   * after the commit); the final follows once decoded.
   */
  #sendInterim(u: Utterance): void {
    if (u.hypothesis)
      this.#send({ type: 'conversation.item.input_audio_transcription.delta', item_id: u.itemId, content_index: 0, delta: u.hypothesis });
  }

  /** The utterance has all its audio: decode the rest and send the final transcript. */
  async #finish(u: Utterance): Promise<void> {
    const request = new ProviderRequest('stt', { seconds: u.samples / SAMPLE_RATE }, this.deps);
    this.#send({ type: 'input_audio_buffer.committed', item_id: u.itemId, previous_item_id: null });
    try {
      const [transcript] = await Promise.all([u.stream.end(), delay(this.deps.behaviour.latency.sttDelayMs)]);
      if (this.#closed) return request.end('cancelled');
      if (!request.admit(this.#faults) || request.cutHere(this.#faults)) return;
      request.firstOutput();
      this.#send({
        type: 'conversation.item.input_audio_transcription.completed',
        item_id: u.itemId,
        content_index: 0,
        transcript: transcript.text,
      });
      request.end('completed', transcript.text);
    } catch (e) {
      // Closing the connection stops its decoder: what was being decoded was cancelled, not failed.
      if (this.#closed) return request.end('cancelled');
      request.end('error');
      this.#sendError(`transcription failed: ${(e as Error).message}`);
    }
  }

  #append(pcm: Int16Array): void {
    const td = this.#turnDetection;
    if (!td) {
      this.#utterance ??= this.#open([]);
      this.#write(this.#utterance, pcm);
      return;
    }
    this.#endpointer ??= new EnergyEndpointer({
      sampleRate: SAMPLE_RATE,
      silenceMs: td.silence_duration_ms,
      prefixMs: td.prefix_padding_ms,
    });
    const size = this.#endpointer.frameSamples;
    const joined = new Int16Array(this.#pendingFrame.length + pcm.length);
    joined.set(this.#pendingFrame);
    joined.set(pcm, this.#pendingFrame.length);
    let offset = 0;
    for (; offset + size <= joined.length; offset += size) this.#detect(joined.slice(offset, offset + size), this.#endpointer);
    this.#pendingFrame = joined.slice(offset);
  }

  /** Server VAD: speech opens an utterance (with its prefix padding), enough silence commits it. */
  #detect(frame: Int16Array, endpointer: EnergyEndpointer): void {
    const step = endpointer.step(frame);
    const ms = (samples: number) => Math.round((samples * 1000) / SAMPLE_RATE);
    if (step.kind === 'opened') {
      this.#utterance = this.#open(step.prefix);
      this.#send({ type: 'input_audio_buffer.speech_started', item_id: this.#utterance.itemId, audio_start_ms: ms(step.startSample) });
    } else if (step.kind === 'speech' && this.#utterance) {
      this.#write(this.#utterance, frame);
    } else if (step.kind === 'closed' && this.#utterance) {
      this.#write(this.#utterance, frame);
      const done = this.#utterance;
      this.#utterance = undefined;
      this.#sendInterim(done);
      this.#send({ type: 'input_audio_buffer.speech_stopped', item_id: done.itemId, audio_end_ms: ms(step.endSample) });
      void this.#finish(done);
    }
  }
}
