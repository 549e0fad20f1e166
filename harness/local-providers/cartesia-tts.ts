import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import { resample } from '../speech/audio.js';
import type { SpeechSynthesizer } from '../speech/flite.js';
import { beginHttpRequest } from './http-request.js';
import { HttpError, readJson } from './http-util.js';
import { serveJsonSocket } from './json-socket.js';
import type { ConcurrencyLimits } from './limits.js';
import { type FaultTransport, type ProviderDeps, ProviderRequest } from './provider-request.js';
import { delay } from './stage-behaviour.js';

/**
 * Cartesia's TTS API (`/tts/websocket` and `/tts/bytes`), backed by flite, close enough to the real
 * service that `@livekit/agents-plugin-cartesia` runs against it unchanged: contexts that receive
 * text in pieces (`continue: true`) and end with `continue: false`, base64 `chunk` messages,
 * `timestamps` messages with word times in seconds from the start of the context, then `done`.
 * The plugin validates every field of these messages (e.g. `step_time`) and drops any that miss one.
 */

const CHUNK_MS = 40;

const outputFormatSchema = z
  .object({
    container: z.literal('raw').default('raw'),
    encoding: z.literal('pcm_s16le'),
    sample_rate: z.number().int().min(8000).max(48000),
  })
  .passthrough();

const generationSchema = z
  .object({
    context_id: z.string().min(1),
    transcript: z.string(),
    continue: z.boolean().default(false),
    add_timestamps: z.boolean().default(false),
    output_format: outputFormatSchema,
    cancel: z.literal(false).optional(),
  })
  .passthrough();

const cancelSchema = z.object({ context_id: z.string().min(1), cancel: z.literal(true) }).passthrough();

/** What a client sends on the socket: text for a context, or the cancel of one. */
const clientMessageSchema = z.discriminatedUnion('cancel', [cancelSchema, generationSchema]);

/** The context an invalid message names, if it names one: its error goes to that context. */
const namedContextSchema = z.object({ context_id: z.string() });

export interface CartesiaDeps extends ProviderDeps {
  synthesizer: SpeechSynthesizer;
}

/** One generation context: its text pieces are spoken in order, its word times run on across pieces. */
class SpeechContext {
  readonly abort = new AbortController();
  #chain: Promise<void> = Promise.resolve();
  #elapsedSec = 0;
  #sentFirstAudio = false;
  #inputEnded = false;
  #failed = false;

  constructor(
    readonly id: string,
    readonly sampleRate: number,
    readonly withTimestamps: boolean,
    readonly request: ProviderRequest,
    private readonly transport: FaultTransport,
    private readonly send: (message: object) => void,
    private readonly deps: CartesiaDeps,
    private readonly onFinished: () => void,
  ) {}

  push(text: string, more: boolean): void {
    if (this.#inputEnded) return;
    // Decided now, not when the queued step runs: by then later pieces may have arrived.
    const last = !more;
    this.#inputEnded = last;
    (this.request.record.input as string[]).push(text);
    this.#chain = this.#chain
      .then(() => (this.abort.signal.aborted || this.#failed ? undefined : this.#speak(text)))
      .then(() => {
        if (!last || this.abort.signal.aborted || this.#failed) return;
        this.send({ type: 'done', done: true, status_code: 200, context_id: this.id });
        this.request.end('completed', this.#elapsedSec);
        this.onFinished();
      })
      .catch((e: unknown) => {
        if (this.abort.signal.aborted) return;
        this.#failed = true;
        this.request.end('error');
        this.send({ type: 'error', done: true, status_code: 500, error: (e as Error).message, context_id: this.id });
        this.onFinished();
      });
  }

  cancel(): void {
    this.abort.abort();
    this.request.end('cancelled');
  }

  async #speak(text: string): Promise<void> {
    if (!text.trim()) return;
    const speech = await this.deps.synthesizer.synthesize(text, this.abort.signal);
    if (!this.#sentFirstAudio) await delay(this.deps.behaviour.latency.ttsTtfbMs, this.abort.signal);
    const offset = this.#elapsedSec;
    (this.request.record.spokenWords ??= []).push(
      ...speech.words.map((w) => ({ word: w.word, start: offset + w.start, end: offset + w.end })),
    );
    if (this.withTimestamps && speech.words.length) {
      this.send({
        type: 'timestamps',
        done: false,
        status_code: 206,
        context_id: this.id,
        word_timestamps: {
          words: speech.words.map((w) => w.word),
          start: speech.words.map((w) => offset + w.start),
          end: speech.words.map((w) => offset + w.end),
        },
      });
    }
    const pcm = resample(speech.pcm, speech.sampleRate, this.sampleRate);
    const samplesPerChunk = Math.round((this.sampleRate * CHUNK_MS) / 1000);
    for (let i = 0; i < pcm.length; i += samplesPerChunk) {
      if (this.abort.signal.aborted) return;
      const part = pcm.subarray(i, i + samplesPerChunk);
      this.send({
        type: 'chunk',
        data: Buffer.from(part.buffer, part.byteOffset, part.byteLength).toString('base64'),
        done: false,
        status_code: 206,
        step_time: CHUNK_MS,
        context_id: this.id,
      });
      if (this.request.cutHere(this.transport)) {
        this.abort.abort();
        return;
      }
      this.#sentFirstAudio = true;
      this.request.firstOutput();
    }
    this.#elapsedSec += pcm.length / this.sampleRate;
  }
}

export function handleCartesiaSocket(
  socket: WebSocket,
  deps: CartesiaDeps,
  limits: Pick<ConcurrencyLimits, 'ttsContextsPerConnection'>,
): void {
  const speaking = new Map<string, SpeechContext>();
  /** Contexts a fault took: their further pieces are ignored. */
  const faulted = new Set<string>();
  const send = (message: object) => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
  };
  const reject = (contextId: string, statusCode: number, error: string) =>
    send({ type: 'error', done: true, status_code: statusCode, error, context_id: contextId });

  const receive = (msg: z.infer<typeof clientMessageSchema>) => {
    if (msg.cancel) {
      speaking.get(msg.context_id)?.cancel();
      speaking.delete(msg.context_id);
      faulted.delete(msg.context_id);
      return;
    }
    if (faulted.has(msg.context_id)) return;
    let ctx = speaking.get(msg.context_id);
    if (!ctx) {
      if (speaking.size >= limits.ttsContextsPerConnection) {
        return reject(
          msg.context_id,
          429,
          `at most ${limits.ttsContextsPerConnection} contexts at once on one connection: end or cancel one first`,
        );
      }
      const request = new ProviderRequest('tts', [], deps);
      const transport: FaultTransport = { fail: (message) => reject(msg.context_id, 500, message), cut: () => socket.terminate() };
      if (!request.admit(transport)) {
        faulted.add(msg.context_id);
        return;
      }
      ctx = new SpeechContext(msg.context_id, msg.output_format.sample_rate, msg.add_timestamps, request, transport, send, deps, () =>
        speaking.delete(msg.context_id),
      );
      speaking.set(msg.context_id, ctx);
    }
    ctx.push(msg.transcript, msg.continue);
  };

  serveJsonSocket(socket, clientMessageSchema, {
    message: receive,
    invalid: (reason, json) => reject(namedContextSchema.safeParse(json).data?.context_id ?? '', 400, reason),
    close: () => {
      // The agent interrupted or hung up: stop synthesizing for it.
      for (const ctx of speaking.values()) ctx.cancel();
      speaking.clear();
    },
  });
}

const bytesRequestSchema = z.object({ transcript: z.string(), output_format: outputFormatSchema }).passthrough();

/** `POST /tts/bytes`: the whole utterance as raw PCM, used by the plugin's non-streaming `synthesize()`. */
export async function handleCartesiaBytes(req: IncomingMessage, res: ServerResponse, deps: CartesiaDeps): Promise<void> {
  const parsed = bytesRequestSchema.safeParse(await readJson(req));
  if (!parsed.success) throw new HttpError(400, `invalid request: ${parsed.error.issues[0]?.message}`);
  const { transcript, output_format: format } = parsed.data;
  const http = beginHttpRequest(res, 'tts', [transcript], deps, { streamed: false });
  if (!http) return;
  const { request, signal } = http;
  const [speech] = await Promise.all([deps.synthesizer.synthesize(transcript, signal), delay(deps.behaviour.latency.ttsTtfbMs, signal)]);
  const pcm = resample(speech.pcm, speech.sampleRate, format.sample_rate);
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  request.firstOutput();
  res.end(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
  request.end('completed', pcm.length / format.sample_rate);
}
