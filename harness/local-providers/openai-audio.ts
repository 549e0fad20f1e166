import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { encodeWav, resample } from '../speech/audio.js';
import type { SpeechSynthesizer } from '../speech/flite.js';
import type { SpeechRecognizer } from '../speech/pocketsphinx.js';
import { beginHttpRequest } from './http-request.js';
import { HttpError, readBody, readJson, sendJson } from './http-util.js';
import { MAX_AUDIO_BODY_BYTES } from './limits.js';
import type { ProviderDeps } from './provider-request.js';
import { delay } from './stage-behaviour.js';
import { decodeWavUpload } from './wav-upload.js';

/** OpenAI's speech endpoint returns 24 kHz mono for `pcm`, and the plugin assumes that rate. */
const OPENAI_TTS_SAMPLE_RATE = 24_000;
const SPEECH_CHUNK_MS = 100;

/** `POST /v1/audio/transcriptions` (multipart, a WAV file), answered by pocketsphinx. */
export async function handleTranscription(
  req: IncomingMessage,
  res: ServerResponse,
  deps: ProviderDeps & { recognizer: SpeechRecognizer },
): Promise<void> {
  const body = await readBody(req, MAX_AUDIO_BODY_BYTES);
  // undici's Request parses multipart bodies, so no form-data dependency is needed here.
  const form = await new Request('http://local/', {
    method: 'POST',
    headers: { 'content-type': req.headers['content-type'] ?? '' },
    body: new Uint8Array(body),
  })
    .formData()
    .catch(() => {
      throw new HttpError(400, 'expected a multipart/form-data body');
    });
  const file = form.get('file');
  if (!(file instanceof Blob)) throw new HttpError(400, "missing multipart field 'file'");
  const audio = decodeWavUpload(Buffer.from(await file.arrayBuffer()));
  const http = beginHttpRequest(res, 'stt', { seconds: audio.pcm.length / audio.channels / audio.sampleRate }, deps, { streamed: false });
  if (!http) return;
  const { request, signal } = http;

  const mono = audio.channels === 1 ? audio.pcm : downmix(audio.pcm, audio.channels);
  const [transcript] = await Promise.all([
    deps.recognizer.recognize(mono, audio.sampleRate),
    delay(deps.behaviour.latency.sttDelayMs, signal),
  ]);
  if (signal.aborted) return;
  request.end('completed', transcript.text);
  sendJson(res, 200, { text: transcript.text });
}

function downmix(pcm: Int16Array, channels: number): Int16Array {
  const out = new Int16Array(Math.floor(pcm.length / channels));
  for (let i = 0; i < out.length; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += pcm[i * channels + c]!;
    out[i] = Math.round(sum / channels);
  }
  return out;
}

const speechRequestSchema = z
  .object({
    model: z.string(),
    input: z.string(),
    voice: z.string().optional(),
    response_format: z.enum(['pcm', 'wav']).default('pcm'),
    speed: z.number().optional(),
  })
  .passthrough();

/** `POST /v1/audio/speech`, answered by flite; the audio is streamed in chunks after the configured first-byte delay. */
export async function handleSpeech(
  req: IncomingMessage,
  res: ServerResponse,
  deps: ProviderDeps & { synthesizer: SpeechSynthesizer },
): Promise<void> {
  const parsed = speechRequestSchema.safeParse(await readJson(req));
  if (!parsed.success) throw new HttpError(400, `invalid speech request: ${parsed.error.issues[0]?.message}`);
  const { input, response_format: format } = parsed.data;
  const http = beginHttpRequest(res, 'tts', input, deps, { streamed: true });
  if (!http) return;
  const { request, transport, signal } = http;

  const [speech] = await Promise.all([deps.synthesizer.synthesize(input, signal), delay(deps.behaviour.latency.ttsTtfbMs, signal)]);
  if (signal.aborted) return;
  const pcm = resample(speech.pcm, speech.sampleRate, OPENAI_TTS_SAMPLE_RATE);
  const bytes = format === 'wav' ? encodeWav(pcm, OPENAI_TTS_SAMPLE_RATE) : Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  res.writeHead(200, { 'content-type': format === 'wav' ? 'audio/wav' : 'audio/pcm' });
  const chunkBytes = (OPENAI_TTS_SAMPLE_RATE * 2 * SPEECH_CHUNK_MS) / 1000;
  for (let offset = 0; offset < bytes.length; offset += chunkBytes) {
    if (offset > 0 && request.cutHere(transport)) return;
    res.write(bytes.subarray(offset, offset + chunkBytes));
    request.firstOutput();
  }
  res.end();
  request.end('completed', pcm.length / OPENAI_TTS_SAMPLE_RATE);
}
