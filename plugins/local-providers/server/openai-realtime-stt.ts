import { type RawData, type WebSocket } from 'ws';
import { z } from 'zod';
import { rms } from '../engines/audio.js';
import type { PocketsphinxRecognizer, RecognizerStream } from '../engines/pocketsphinx.js';
import type { RequestLog } from './request-log.js';
import { type StageBehaviour, delay } from './stage-behaviour.js';

/**
 * OpenAI's realtime transcription WebSocket (`/v1/realtime?intent=transcription`), backed by
 * streaming pocketsphinx: audio is decoded while the caller speaks, so the final transcript is ready
 * a few milliseconds after the utterance ends instead of after a whole-utterance upload.
 *
 * Both ways of ending an utterance are served: `server_vad` (this server detects speech by energy,
 * emits `speech_started`/`speech_stopped` and commits after `silence_duration_ms`), and manual
 * `input_audio_buffer.commit` when `turn_detection` is null (the client's VAD decides).
 */

const SAMPLE_RATE = 24_000;
const FRAME_SAMPLES = SAMPLE_RATE / 50; // 20 ms
/**
 * Frame level that counts as speech. The local server stands in for a cloud model, so a plain
 * energy gate suffices: its callers are synthesized voices over Opus, with near-silence between them.
 */
const SPEECH_RMS = 400;

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
        audio: z.object({ input: z.object({ turn_detection: turnDetectionSchema.optional() }).passthrough().optional() }).passthrough().optional(),
      })
      .passthrough(),
  })
  .passthrough();

type TurnDetection = z.infer<typeof turnDetectionSchema>;

const DEFAULT_TURN_DETECTION: TurnDetection = { type: 'server_vad', silence_duration_ms: 500, prefix_padding_ms: 300 };

export interface RealtimeSttDeps {
  /** A recognizer for this connection alone: an utterance holds it until its final transcript. */
  recognizer: PocketsphinxRecognizer;
  behaviour: StageBehaviour;
  log: RequestLog;
}

interface Utterance {
  itemId: string;
  stream: RecognizerStream;
  samples: number;
  /** The recognizer's latest hypothesis, sent as one delta when the utterance ends. */
  hypothesis: string;
}

export function handleRealtimeTranscription(socket: WebSocket, deps: RealtimeSttDeps, onClosed: () => void): void {
  let turnDetection: TurnDetection = DEFAULT_TURN_DETECTION;
  let utterance: Utterance | undefined;
  let items = 0;
  /** Samples received on this connection (the clock of audio_start_ms / audio_end_ms). */
  let received = 0;
  /** Recent audio kept for `prefix_padding_ms`, and the server VAD's frame assembly. */
  let history: Int16Array[] = [];
  let pendingFrame = new Int16Array(0);
  let silentSamples = 0;
  let closed = false;

  const send = (message: object) => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
  };
  const sendError = (message: string) => send({ type: 'error', error: { type: 'invalid_request_error', message } });

  const open = (prefix: Int16Array[]): Utterance => {
    const itemId = `item_local_${++items}`;
    const u: Utterance = {
      itemId,
      samples: 0,
      hypothesis: '',
      stream: deps.recognizer.stream(SAMPLE_RATE, (partial) => (u.hypothesis = partial)),
    };
    for (const chunk of prefix) write(u, chunk);
    return u;
  };
  const write = (u: Utterance, pcm: Int16Array) => {
    u.stream.write(pcm);
    u.samples += pcm.length;
  };

  /**
   * The plugin appends deltas, while pocketsphinx revises its hypothesis as words come in, so the
   * interim goes out once, whole, as the utterance ends (OpenAI, too, streams a transcript's deltas
   * after the commit); the final follows once decoded.
   */
  const sendInterim = (u: Utterance) => {
    if (u.hypothesis) send({ type: 'conversation.item.input_audio_transcription.delta', item_id: u.itemId, content_index: 0, delta: u.hypothesis });
  };

  /** The utterance has all its audio: decode the rest and send the final transcript. */
  const finish = async (u: Utterance) => {
    const record = deps.log.begin('stt', { seconds: u.samples / SAMPLE_RATE });
    send({ type: 'input_audio_buffer.committed', item_id: u.itemId, previous_item_id: null });
    const fault = deps.behaviour.takeFault('stt');
    try {
      const [transcript] = await Promise.all([u.stream.end(), delay(deps.behaviour.latency.sttDelayMs)]);
      if (closed) return deps.log.end(record, 'cancelled');
      if (fault === 'http500') {
        deps.log.end(record, 'fault:http500');
        return sendError('injected fault: internal server error');
      }
      if (fault === 'drop') {
        deps.log.end(record, 'fault:drop');
        return socket.terminate();
      }
      if (fault === 'stall') return deps.log.end(record, 'fault:stall');
      deps.log.firstOutput(record);
      send({ type: 'conversation.item.input_audio_transcription.completed', item_id: u.itemId, content_index: 0, transcript: transcript.text });
      deps.log.end(record, 'completed', transcript.text);
    } catch (e) {
      deps.log.end(record, 'error');
      sendError(`transcription failed: ${(e as Error).message}`);
    }
  };

  /** Server VAD: speech opens an utterance (with its prefix padding), enough silence commits it. */
  const detect = (frame: Int16Array, td: NonNullable<TurnDetection>) => {
    const speech = rms(frame) >= SPEECH_RMS;
    if (!utterance) {
      history.push(frame);
      const keep = Math.ceil((td.prefix_padding_ms * SAMPLE_RATE) / 1000 / FRAME_SAMPLES);
      if (history.length > keep + 1) history = history.slice(-(keep + 1));
      if (!speech) return;
      const prefix = history;
      history = [];
      const startSample = received - prefix.reduce((n, f) => n + f.length, 0);
      utterance = open(prefix);
      silentSamples = 0;
      send({ type: 'input_audio_buffer.speech_started', item_id: utterance.itemId, audio_start_ms: Math.round((startSample * 1000) / SAMPLE_RATE) });
      return;
    }
    write(utterance, frame);
    silentSamples = speech ? 0 : silentSamples + frame.length;
    if (silentSamples * 1000 < td.silence_duration_ms * SAMPLE_RATE) return;
    const done = utterance;
    utterance = undefined;
    sendInterim(done);
    send({ type: 'input_audio_buffer.speech_stopped', item_id: done.itemId, audio_end_ms: Math.round(((received - silentSamples) * 1000) / SAMPLE_RATE) });
    void finish(done);
  };

  const append = (pcm: Int16Array) => {
    const td = turnDetection;
    if (!td) {
      utterance ??= open([]);
      write(utterance, pcm);
      received += pcm.length;
      return;
    }
    const joined = new Int16Array(pendingFrame.length + pcm.length);
    joined.set(pendingFrame);
    joined.set(pcm, pendingFrame.length);
    let offset = 0;
    for (; offset + FRAME_SAMPLES <= joined.length; offset += FRAME_SAMPLES) {
      received += FRAME_SAMPLES;
      detect(joined.slice(offset, offset + FRAME_SAMPLES), td);
    }
    pendingFrame = joined.slice(offset);
  };

  send({ type: 'session.created', session: { type: 'transcription' } });

  socket.on('message', (data: RawData) => {
    let msg: { type?: unknown; audio?: unknown };
    try {
      msg = JSON.parse(data.toString());
    } catch {
      return sendError('message is not valid JSON');
    }
    switch (msg.type) {
      case 'session.update':
      case 'transcription_session.update': {
        const update = sessionUpdateSchema.safeParse(msg);
        if (!update.success) return sendError(`invalid session.update: ${update.error.issues[0]?.message}`);
        const s = update.data.session;
        const td = s.audio?.input?.turn_detection !== undefined ? s.audio.input.turn_detection : s.turn_detection;
        if (td !== undefined) turnDetection = td;
        return send({ type: msg.type === 'session.update' ? 'session.updated' : 'transcription_session.updated', session: s });
      }
      case 'input_audio_buffer.append': {
        if (typeof msg.audio !== 'string') return sendError("input_audio_buffer.append needs base64 'audio'");
        const bytes = Buffer.from(msg.audio, 'base64');
        // Copied: a decoded Buffer may start at an odd offset of its pool, which Int16Array cannot view.
        return append(new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + (bytes.length & ~1))));
      }
      case 'input_audio_buffer.commit': {
        const done = utterance;
        utterance = undefined;
        if (!done) return;
        sendInterim(done);
        void finish(done);
        return;
      }
      case 'input_audio_buffer.clear':
        utterance?.stream.end().catch(() => undefined);
        utterance = undefined;
        return;
      default:
        return sendError(`unsupported event type ${String(msg.type)}`);
    }
  });

  socket.on('close', () => {
    closed = true;
    // Releases the recognizer: an utterance left open would hold it forever.
    utterance?.stream.end().catch(() => undefined);
    utterance = undefined;
    onClosed();
  });
}
