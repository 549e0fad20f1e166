import { request } from 'node:http';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  DEFAULT_CONCURRENCY_LIMITS,
  MAX_AUDIO_BODY_BYTES,
  MAX_FAULT_COUNT,
  MAX_JSON_BODY_BYTES,
  MAX_SOCKET_MESSAGE_BYTES,
  type RunningLocalProviders,
  startLocalProviders,
  WAV_UPLOAD_LIMITS,
} from '../../harness/local-providers/index.js';
import { encodeWav, type WavHeader, wavFile } from '../../harness/speech/audio.js';
import { PocketsphinxRecognizer } from '../../harness/speech/pocketsphinx.js';
import { type Message, SocketClient } from '../support/json-socket-client.js';

/**
 * The local providers against malformed input: every route and socket protocol, fed garbage by
 * fast-check (fixed seed, bounded time), must answer it with a 4xx or the protocol's error event,
 * promptly, and then serve the next good request. Then one example for each fault once measured.
 */

/** Longest wait for any answer: past it, the server hangs. */
const ANSWER_MS = 5000;
/** Bound on each property's runs, so the file stays well under a minute on a loaded 2-core machine. */
const FUZZ_MS = 5000;
const fuzz = (numRuns: number) => ({ seed: 42, numRuns, interruptAfterTimeLimit: FUZZ_MS });
/** Kept low so that the cap is reached with two decoders, not sixteen. */
const REALTIME_CONNECTIONS = 2;

let providers: RunningLocalProviders;
let base: URL;
/** Errors nothing handled: any one would have ended the providers running as their own process. */
const uncaught: unknown[] = [];
const recordUncaught = (e: unknown) => uncaught.push(e);

beforeAll(async () => {
  process.on('uncaughtException', recordUncaught);
  process.on('unhandledRejection', recordUncaught);
  providers = await startLocalProviders({ port: 0, limits: { realtimeConnections: REALTIME_CONNECTIONS } });
  base = new URL(providers.url);
});
afterEach(async () => {
  await Promise.all([...openClients].map((c) => c.close()));
  expect(uncaught.splice(0), 'errors that would have ended the process').toEqual([]);
});
afterAll(async () => {
  process.off('uncaughtException', recordUncaught);
  process.off('unhandledRejection', recordUncaught);
  await providers?.close();
});

// ---------------------------------------------------------------------------------------------
// HTTP

interface Answer {
  status: number;
  body: string;
}

interface HttpCall {
  method?: string;
  path: string;
  /** `host: undefined` sends no Host header at all. */
  headers?: Record<string, string | undefined>;
  body?: string | Buffer;
}

/** One request over node:http (fetch would not send a foreign Host); rejects when no answer comes in time. */
function call({ method = 'GET', path, headers = {}, body }: HttpCall): Promise<Answer> {
  const sent = Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined)) as Record<string, string | number>;
  // Framed whatever the method: node:http sends a GET's body unframed, which the server reads as the next request.
  if (body !== undefined) sent['content-length'] = Buffer.byteLength(body);
  return new Promise((resolve, reject) => {
    const req = request({ host: base.hostname, port: base.port, method, path, headers: sent, setHost: !('host' in headers) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.setTimeout(ANSWER_MS, () => req.destroy(new Error(`${method} ${path}: no answer in ${ANSWER_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

const json = { 'content-type': 'application/json' };
const postJson = (path: string, value: unknown) => call({ method: 'POST', path, headers: json, body: JSON.stringify(value) });
const errorMessage = (answer: Answer) => (JSON.parse(answer.body) as { error: { message: string } }).error.message;

async function expectHealthy(): Promise<void> {
  expect((await call({ path: '/healthz' })).status).toBe(200);
}

/** A multipart body as the OpenAI SDK uploads a file. */
async function multipart(file: Buffer): Promise<{ body: Buffer; contentType: string }> {
  const form = new FormData();
  form.set('model', 'whisper-1');
  form.set('file', new Blob([new Uint8Array(file)]), 'audio.wav');
  const req = new Request('http://local/', { method: 'POST', body: form });
  return { body: Buffer.from(await req.arrayBuffer()), contentType: req.headers.get('content-type')! };
}

async function transcribe(file: Buffer): Promise<Answer> {
  const { body, contentType } = await multipart(file);
  return call({ method: 'POST', path: '/v1/audio/transcriptions', headers: { 'content-type': contentType }, body });
}

/** A fifth of a second of silence at 16 kHz: a transcription that needs little decoding. */
const GOOD_WAV = encodeWav(new Int16Array(3200), 16_000);

async function expectGoodTranscription(): Promise<void> {
  const answer = await transcribe(GOOD_WAV);
  expect(answer.status).toBe(200);
  expect(typeof (JSON.parse(answer.body) as { text: unknown }).text).toBe('string');
}

async function expectGoodChat(): Promise<void> {
  const answer = await postJson('/v1/chat/completions', { model: 'local', stream: true, messages: [{ role: 'user', content: 'hello' }] });
  expect(answer.status).toBe(200);
  expect(answer.body).toContain('data: [DONE]');
}

// ---------------------------------------------------------------------------------------------
// WebSockets

/** Clients still open: closed after each test, so that a failed one leaves no connection to count against a limit. */
const openClients = new Set<SocketClient>();
const openSocket = (path: string) => SocketClient.open(`ws://${base.host}${path}`, ANSWER_MS, openClients);

/** How an upgrade that is refused is answered. */
function refusedUpgrade(path: string): Promise<Answer> {
  const ws = new WebSocket(`ws://${base.host}${path}`, { handshakeTimeout: ANSWER_MS });
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    ws.once('open', () => {
      ws.close();
      reject(new Error(`upgrade to ${path} accepted`));
    });
    ws.once('error', reject);
  });
}

/** Close codes (RFC 6455, 7.4.1): a text frame that is not UTF-8, a message too big to take. */
const INVALID_PAYLOAD = 1007;
const MESSAGE_TOO_BIG = 1009;

const isUtf8 = (bytes: Buffer) => {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
};

const isRealtimeError = (m: Message) =>
  m.type === 'error' &&
  (m.error as { type?: unknown })?.type === 'invalid_request_error' &&
  typeof (m.error as { message?: unknown }).message === 'string';
const isCartesiaError = (m: Message) => m.type === 'error' && m.status_code === 400 && typeof m.error === 'string';

/**
 * A realtime connection, ready: its session was created. Retried while refused for the connection
 * limit: the server counts a connection this client has closed until its decoder has exited.
 */
async function openRealtime(): Promise<SocketClient> {
  for (const deadline = Date.now() + ANSWER_MS; ; ) {
    const attempt = await openSocket('/v1/realtime?intent=transcription').catch((e: Error) => e);
    if (attempt instanceof SocketClient) {
      await attempt.until((m) => m.type === 'session.created', 'session.created');
      return attempt;
    }
    if (!attempt.message.includes('503') || Date.now() > deadline) throw attempt;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const GOOD_SESSION_UPDATE = {
  type: 'session.update',
  session: { audio: { input: { turn_detection: { type: 'server_vad', silence_duration_ms: 300 } } } },
};

async function expectSessionUpdates(client: SocketClient): Promise<Message[]> {
  client.sendText(JSON.stringify(GOOD_SESSION_UPDATE));
  return client.until((m) => m.type === 'session.updated', 'session.updated');
}

const PCM_FORMAT = { container: 'raw', encoding: 'pcm_s16le', sample_rate: 16_000 };
let goodContexts = 0;

/** A short utterance spoken on `client`: audio, then `done`. */
async function expectSpeech(client: SocketClient): Promise<void> {
  const contextId = `good-${++goodContexts}`;
  client.sendText(JSON.stringify({ context_id: contextId, transcript: 'Hi.', continue: false, output_format: PCM_FORMAT }));
  const seen = await client.until((m) => m.context_id === contextId && (m.type === 'done' || m.type === 'error'), `done for ${contextId}`);
  expect(seen.at(-1)?.type).toBe('done');
  expect(seen.some((m) => m.type === 'chunk' && m.context_id === contextId)).toBe(true);
}

// ---------------------------------------------------------------------------------------------
// Generators of malformed input

const notAString = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.dictionary(fc.string(), fc.integer(), { maxKeys: 2 }),
);
const notAnObject = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.string(), fc.array(fc.integer(), { maxLength: 2 }));
const notABoolean = fc.oneof(fc.integer(), fc.constant(null), fc.string(), fc.array(fc.boolean(), { maxLength: 2 }));

/** Bytes that are not UTF-8: a byte no UTF-8 sequence has, somewhere among random ones. */
const invalidUtf8 = fc
  .tuple(fc.uint8Array({ maxLength: 20 }), fc.constantFrom(0x80, 0xc0, 0xf8, 0xff), fc.uint8Array({ maxLength: 20 }))
  .map(([before, bad, after]) => Buffer.concat([before, Buffer.from([bad]), after]));

/**
 * Any frame a client could send that is not a message of the protocol, as the bytes of a text frame.
 * `rawBytesWeight`, against 12 for the rest, weighs random bytes: mostly not UTF-8, each of those costs the connection.
 */
const garbageFrame = (wrongMessages: fc.Arbitrary<unknown>, rawBytesWeight: number) =>
  fc.oneof(
    { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }).map((s) => Buffer.from(s)), weight: 4 },
    {
      arbitrary: fc.oneof(
        fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
        invalidUtf8,
      ),
      weight: rawBytesWeight,
    },
    { arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v))), weight: 3 },
    { arbitrary: wrongMessages.map((v) => Buffer.from(JSON.stringify(v))), weight: 5 },
  );

const REALTIME_EVENT_TYPES = [
  'session.update',
  'transcription_session.update',
  'input_audio_buffer.append',
  'input_audio_buffer.commit',
  'input_audio_buffer.clear',
];
const notANonNegativeInteger = fc.oneof(
  fc.integer({ max: -1 }),
  fc.double({ min: 0.1, max: 1e6, noInteger: true }),
  fc.string(),
  fc.boolean(),
);

/** Realtime client events with a field of the wrong type, a type not served, or audio that is not base64. */
const wrongRealtimeEvent = fc.oneof(
  notAString.map((type) => ({ type })),
  fc
    .string()
    .filter((t) => !REALTIME_EVENT_TYPES.includes(t))
    .map((type) => ({ type })),
  notAString.map((audio) => ({ type: 'input_audio_buffer.append', audio })),
  fc.string().map((s) => ({ type: 'input_audio_buffer.append', audio: `${s}!` })),
  fc.constant({ type: 'input_audio_buffer.append' }),
  fc.tuple(fc.constantFrom('session.update', 'transcription_session.update'), notAnObject).map(([type, session]) => ({ type, session })),
  fc.oneof(fc.integer(), fc.string(), fc.boolean()).map((td) => ({ type: 'session.update', session: { turn_detection: td } })),
  notANonNegativeInteger.map((ms) => ({
    type: 'session.update',
    session: { audio: { input: { turn_detection: { type: 'server_vad', silence_duration_ms: ms } } } },
  })),
  notAString.map((t) => ({ type: 'transcription_session.update', session: { turn_detection: { type: t } } })),
);

const badSampleRate = fc.oneof(
  fc.integer({ max: 7999 }),
  fc.integer({ min: 48_001 }),
  fc.double({ min: 8000, max: 48_000, noInteger: true }),
  fc.string(),
);

/** Cartesia messages with a field of the wrong type or out of range. */
const wrongCartesiaMessage = fc.oneof(
  fc.oneof(notAString, fc.constant('')).map((context_id) => ({ context_id, transcript: 'hi', output_format: PCM_FORMAT })),
  notAString.map((transcript) => ({ context_id: 'bad', transcript, output_format: PCM_FORMAT })),
  notAnObject.map((output_format) => ({ context_id: 'bad', transcript: 'hi', output_format })),
  badSampleRate.map((sample_rate) => ({ context_id: 'bad', transcript: 'hi', output_format: { ...PCM_FORMAT, sample_rate } })),
  notAString.map((encoding) => ({ context_id: 'bad', transcript: 'hi', output_format: { ...PCM_FORMAT, encoding } })),
  notABoolean.map((more) => ({ context_id: 'bad', transcript: 'hi', continue: more, output_format: PCM_FORMAT })),
  notABoolean.map((cancel) => ({ context_id: 'bad', cancel })),
  fc.constant({ cancel: true }),
);

// ---------------------------------------------------------------------------------------------

describe('local providers under malformed input (fuzz)', () => {
  it('/v1/realtime answers every malformed frame with an error event, or 1007 for bytes that are not UTF-8, and keeps serving', async () => {
    let client = await openRealtime();
    await fc.assert(
      // Few frames that are not UTF-8: each reconnection starts a recognizer.
      fc.asyncProperty(garbageFrame(wrongRealtimeEvent, 1), async (frame) => {
        client.sendText(frame);
        if (isUtf8(frame)) {
          const seen = await expectSessionUpdates(client);
          expect(seen.filter(isRealtimeError)).toHaveLength(1);
        } else {
          expect(await client.closeCode()).toBe(INVALID_PAYLOAD);
          client = await openRealtime();
          await expectSessionUpdates(client);
        }
        await expectHealthy();
      }),
      fuzz(30),
    );
    // The connection still transcribes: turn detection off, audio, commit, transcript.
    client.sendText(JSON.stringify({ type: 'session.update', session: { audio: { input: { turn_detection: null } } } }));
    client.sendText(JSON.stringify({ type: 'input_audio_buffer.append', audio: Buffer.alloc(24_000).toString('base64') }));
    client.sendText(JSON.stringify({ type: 'input_audio_buffer.commit' }));
    const seen = await client.until((m) => m.type === 'conversation.item.input_audio_transcription.completed', 'a transcript', 20_000);
    expect(seen.filter((m) => m.type === 'error')).toEqual([]);
    await client.close();
  });

  it('/tts/websocket rejects every malformed frame, or closes with 1007 for bytes that are not UTF-8, and keeps speaking', async () => {
    let client = await openSocket('/tts/websocket');
    await fc.assert(
      fc.asyncProperty(garbageFrame(wrongCartesiaMessage, 3), async (frame) => {
        client.sendText(frame);
        if (isUtf8(frame)) {
          const [rejection] = await client.until((m) => m.type === 'error', 'an error message');
          expect(isCartesiaError(rejection!)).toBe(true);
        } else {
          expect(await client.closeCode()).toBe(INVALID_PAYLOAD);
          client = await openSocket('/tts/websocket');
        }
        await expectSpeech(client);
      }),
      // Each run speaks (two flite processes): kept short for the files running beside this one.
      fuzz(20),
    );
    await client.close();
    await expectHealthy();
  });

  it('/v1/audio/transcriptions refuses a WAV whose header it cannot transcribe (400), transcribes one it can, and the next good upload succeeds', async () => {
    /** Each field usable more often than not, so that about a third of the headers are. */
    const likely = <T, U>(usable: fc.Arbitrary<T>, other: fc.Arbitrary<U>) =>
      fc.oneof({ arbitrary: usable, weight: 3 }, { arbitrary: other, weight: 1 });
    const header = fc.record({
      format: likely(fc.constant(1), fc.constantFrom(0, 3, 0xfffe)),
      channels: likely(fc.constantFrom(1, 2), fc.oneof(fc.constantFrom(0, 3), fc.integer({ min: 0, max: 0xffff }))),
      sampleRate: likely(
        fc.oneof(fc.constantFrom(8000, 16_000, 44_100, 48_000), fc.integer({ min: 8000, max: 48_000 })),
        fc.oneof(fc.constantFrom(0, 1, 100, 7999, 48_001, 2 ** 32 - 1), fc.integer({ min: 0, max: 2 ** 32 - 1 })),
      ),
      bits: likely(fc.constant(16), fc.constantFrom(0, 8, 24, 32, 0xffff)),
    });
    const upload = fc.oneof(
      {
        arbitrary: fc.tuple(header, fc.uint8Array({ maxLength: 4000 })).map(([h, data]) => ({ file: wavFile(h, data), header: h })),
        weight: 4,
      },
      { arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => ({ file: Buffer.from(b), header: undefined })), weight: 1 },
    );
    const { minSampleRate, maxSampleRate, maxChannels } = WAV_UPLOAD_LIMITS;
    const transcribable = (h: WavHeader) =>
      h.format === 1 &&
      h.bits === 16 &&
      h.sampleRate >= minSampleRate &&
      h.sampleRate <= maxSampleRate &&
      h.channels >= 1 &&
      h.channels <= maxChannels;
    await fc.assert(
      fc.asyncProperty(upload, async ({ file, header: h }) => {
        const answer = await transcribe(file);
        expect(answer.status).toBe(h && transcribable(h) ? 200 : 400);
        await expectHealthy();
        await expectGoodTranscription();
      }),
      fuzz(30),
    );
    // Not multipart at all, or without its file.
    const bodies = fc.tuple(
      fc.constantFrom('multipart/form-data; boundary=x', 'text/plain', 'application/json', ''),
      fc.uint8Array({ maxLength: 200 }),
    );
    await fc.assert(
      fc.asyncProperty(bodies, async ([contentType, body]) => {
        const answer = await call({
          method: 'POST',
          path: '/v1/audio/transcriptions',
          headers: { 'content-type': contentType },
          body: Buffer.from(body),
        });
        expect(answer.status).toBe(400);
        await expectGoodTranscription();
      }),
      fuzz(20),
    );
  });

  it('/v1/chat/completions answers a malformed body with 400, one over the limit with 413, and the next good request succeeds', async () => {
    const wrongRequest = fc.oneof(
      notAString.map((model) => ({ model, messages: [{ role: 'user', content: 'hi' }] })),
      notAnObject.map((messages) => ({ model: 'local', messages })),
      fc.constant({ model: 'local', messages: [] }),
      notAString.map((role) => ({ model: 'local', messages: [{ role, content: 'hi' }] })),
      fc.oneof(fc.integer(), fc.boolean()).map((content) => ({ model: 'local', messages: [{ role: 'user', content }] })),
      notABoolean.map((stream) => ({ model: 'local', stream, messages: [{ role: 'user', content: 'hi' }] })),
    );
    const malformed = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 60 }).map((s) => Buffer.from(s)),
      fc.uint8Array({ maxLength: 60 }).map((b) => Buffer.from(b)),
      fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v))),
      wrongRequest.map((v) => Buffer.from(JSON.stringify(v))),
    );
    /** A malformed body, or how many bytes over the limit one is (a number, to keep counterexamples short). */
    const body = fc.oneof({ arbitrary: malformed, weight: 9 }, { arbitrary: fc.integer({ min: 1, max: 1024 }), weight: 1 });
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const bytes = typeof b === 'number' ? Buffer.alloc(MAX_JSON_BODY_BYTES + b, 0x20) : b;
        const answer = await call({ method: 'POST', path: '/v1/chat/completions', headers: json, body: bytes });
        expect(answer.status).toBe(typeof b === 'number' ? 413 : 400);
        await expectGoodChat();
      }),
      fuzz(40),
    );
  });

  it('/_control/* serves only same-machine, same-origin JSON requests and never fails with a 5xx', async () => {
    const port = base.port;
    /** Host headers, and what they get: served, refused by the guard (403), or by Node itself for a missing one (400). */
    const hosts = fc.oneof(
      {
        arbitrary: fc
          .constantFrom(base.host, `localhost:${port}`, `127.0.0.2:${port}`, `[::1]:${port}`, 'localhost')
          .map((value) => ({ value, refusal: undefined })),
        weight: 4,
      },
      {
        arbitrary: fc
          .constantFrom(
            'evil.example',
            `evil.example:${port}`,
            '10.0.0.1',
            `192.168.1.5:${port}`,
            '127.0.0.1.evil.example',
            'localhost.evil.example',
            `evil.example@127.0.0.1:${port}`,
            '[::2]',
            '%%',
          )
          .map((value) => ({ value, refusal: 403 })),
        weight: 2,
      },
      { arbitrary: fc.constant({ value: undefined, refusal: 400 }), weight: 1 },
    );
    /** Origins: none, the Host's own, or another. */
    const origins = fc.oneof(
      { arbitrary: fc.constantFrom(undefined, 'same'), weight: 3 },
      {
        arbitrary: fc.constantFrom(
          'http://evil.example',
          'null',
          `https://${base.host}`,
          `http://localhost:${Number(port) + 1}`,
          'garbage',
        ),
        weight: 1,
      },
    );
    const contentTypes = fc.oneof(
      {
        arbitrary: fc
          .constantFrom('application/json', 'application/json; charset=utf-8', 'Application/JSON')
          .map((value) => ({ value, json: true })),
        weight: 2,
      },
      fc
        .constantFrom(
          undefined,
          'text/plain',
          'text/plain;charset=UTF-8',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/jsonp',
        )
        .map((value) => ({ value, json: false })),
    );
    /** Mostly the routes there are, with their methods; else any method on any path. */
    const endpoints: fc.Arbitrary<[string, string]> = fc.oneof(
      {
        arbitrary: fc.constantFrom<[string, string]>(
          ['GET', '/_control/requests'],
          ['GET', '/_control/requests?stage=llm'],
          ['GET', '/_control/requests?stage=nope'],
          ['POST', '/_control/faults'],
          ['PUT', '/_control/latency'],
          ['POST', '/_control/reset'],
        ),
        weight: 3,
      },
      fc.tuple(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
        fc.oneof(
          fc.constantFrom('/_control/faults', '/_control/requests'),
          fc.stringMatching(/^[a-z?=&%]{0,12}$/).map((tail) => `/_control/${tail}`),
        ),
      ),
    );
    const bodies = fc.oneof(
      fc.constant(undefined),
      fc.constantFrom({}, { stage: 'llm', kind: 'http500' }, { profile: 'zero' }, { ttsTtfbMs: 0 }).map((v) => JSON.stringify(v)),
      fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 40 }),
      fc
        .record({
          stage: fc.oneof(fc.constantFrom('llm', 'tts', 'stt'), fc.string()),
          kind: fc.oneof(fc.constantFrom('http500', 'drop', 'stall'), fc.string()),
          count: fc.oneof(fc.integer({ min: -5, max: 5 }), fc.integer({ min: MAX_FAULT_COUNT + 1 }), fc.string()),
        })
        .map((v) => JSON.stringify(v)),
    );
    const requests = fc.record({ endpoint: endpoints, host: hosts, origin: origins, contentType: contentTypes, body: bodies });
    await fc.assert(
      fc.asyncProperty(requests, async ({ endpoint: [method, path], ...r }) => {
        const origin = r.origin === 'same' ? `http://${r.host.value}` : r.origin;
        const answer = await call({
          method,
          path,
          headers: { host: r.host.value, origin, 'content-type': r.contentType.value },
          body: r.body,
        });
        expect(answer.status).toBeLessThan(500);
        if (r.host.refusal) expect(answer.status).toBe(r.host.refusal);
        else if (r.origin !== undefined && r.origin !== 'same') expect(answer.status).toBe(403);
        else if ((method === 'POST' || method === 'PUT') && !r.contentType.json) expect(answer.status).toBe(415);
        else expect([200, 400, 404]).toContain(answer.status);
        if (answer.status === 403 || answer.status === 415) expect(errorMessage(answer)).toMatch(/_control/);
        // Whatever it armed or slowed is undone, and control still answers.
        expect((await postJson('/_control/reset', {})).status).toBe(200);
        expect((await call({ path: '/_control/requests' })).status).toBe(200);
      }),
      fuzz(80),
    );
  });
});

describe('each fault once measured, fixed', () => {
  it('a realtime text frame that is not UTF-8 closes that connection with 1007, and the server takes new ones', async () => {
    const client = await openRealtime();
    client.sendText(Buffer.from([0x7b, 0xff, 0x7d]));
    expect(await client.closeCode()).toBe(INVALID_PAYLOAD);
    await expectHealthy();
    const next = await openRealtime();
    await expectSessionUpdates(next);
    await next.close();
  });

  it('a Cartesia text frame that is not UTF-8 closes that connection with 1007, and the server takes new ones', async () => {
    const client = await openSocket('/tts/websocket');
    client.sendText(Buffer.from([0xc3, 0x28]));
    expect(await client.closeCode()).toBe(INVALID_PAYLOAD);
    const next = await openSocket('/tts/websocket');
    await expectSpeech(next);
    await next.close();
  });

  it('a message over the size limit closes that connection with 1009, and the server takes new ones', async () => {
    const client = await openSocket('/tts/websocket');
    client.sendText(Buffer.alloc(MAX_SOCKET_MESSAGE_BYTES + 1, 0x20));
    expect(await client.closeCode()).toBe(MESSAGE_TOO_BIG);
    const next = await openSocket('/tts/websocket');
    await expectSpeech(next);
    await next.close();
  });

  it('a realtime `null` message gets an OpenAI error event and the session carries on', async () => {
    const client = await openRealtime();
    client.sendText('null');
    const seen = await expectSessionUpdates(client);
    expect(seen[0]).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringMatching(/object/i) } });
    await client.close();
  });

  it('a WAV with sample rate 0 gets a 400, and the next good WAV is transcribed', async () => {
    const answer = await transcribe(wavFile({ format: 1, channels: 1, sampleRate: 0, bits: 16 }, new Uint8Array(3200)));
    expect(answer.status).toBe(400);
    expect(errorMessage(answer)).toMatch(/sample rate/);
    await expectGoodTranscription();
  });

  it('a recognizer whose audio could not be written is free for the next utterance', async () => {
    const recognizer = await PocketsphinxRecognizer.start();
    try {
      await expect(recognizer.recognize(new Int16Array(160), 0)).rejects.toThrow(/sample rate/);
      // A positive rate so small that the resampled audio cannot be allocated: the write itself throws.
      await expect(recognizer.recognize(new Int16Array(160), 1e-9)).rejects.toThrow(RangeError);
      const next = await Promise.race([
        recognizer.recognize(new Int16Array(1600), 16_000),
        new Promise((r) => setTimeout(r, ANSWER_MS, 'hung')),
      ]);
      expect(next).toMatchObject({ text: expect.any(String) });
    } finally {
      await recognizer.close();
    }
  });

  it('a WAV at 100 Hz is refused at once instead of resampled for seconds', async () => {
    const started = performance.now();
    const answer = await transcribe(wavFile({ format: 1, channels: 1, sampleRate: 100, bits: 16 }, new Uint8Array(60 * 100 * 2)));
    expect(answer.status).toBe(400);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('a WAV with 0 channels gets a 400 naming them', async () => {
    const answer = await transcribe(wavFile({ format: 1, channels: 0, sampleRate: 16_000, bits: 16 }, new Uint8Array(3200)));
    expect(answer.status).toBe(400);
    expect(errorMessage(answer)).toMatch(/channels/);
  });

  it('a WAV longer than the transcribed maximum gets a 400', async () => {
    const { minSampleRate, maxSeconds } = WAV_UPLOAD_LIMITS;
    const answer = await transcribe(
      wavFile({ format: 1, channels: 1, sampleRate: minSampleRate, bits: 16 }, new Uint8Array((maxSeconds + 1) * minSampleRate * 2)),
    );
    expect(answer.status).toBe(400);
    expect(errorMessage(answer)).toMatch(/at most/);
  });

  it('refuses realtime connections past its limit, with a reason, and takes one again once one closes', async () => {
    const open = [];
    for (let i = 0; i < REALTIME_CONNECTIONS; i++) open.push(await openRealtime());
    const refused = await refusedUpgrade('/v1/realtime?intent=transcription');
    expect(refused.status).toBe(503);
    expect(errorMessage(refused)).toMatch(new RegExp(`at most ${REALTIME_CONNECTIONS}`));
    await open.pop()!.close();
    await openRealtime();
  });

  it('refuses a TTS context past the limit of one connection, and takes it once another is cancelled', async () => {
    const limit = DEFAULT_CONCURRENCY_LIMITS.ttsContextsPerConnection;
    const client = await openSocket('/tts/websocket');
    // Contexts kept open, waiting for more text.
    for (let i = 0; i < limit; i++)
      client.sendText(JSON.stringify({ context_id: `open-${i}`, transcript: '', continue: true, output_format: PCM_FORMAT }));
    client.sendText(JSON.stringify({ context_id: 'one-too-many', transcript: 'Hi.', continue: false, output_format: PCM_FORMAT }));
    const [refusal] = await client.until((m) => m.type === 'error', 'a refusal');
    expect(refusal).toMatchObject({
      context_id: 'one-too-many',
      status_code: 429,
      error: expect.stringMatching(new RegExp(`at most ${limit}`)),
    });
    client.sendText(JSON.stringify({ context_id: 'open-0', cancel: true }));
    client.sendText(JSON.stringify({ context_id: 'one-too-many', transcript: '', continue: false, output_format: PCM_FORMAT }));
    await client.until((m) => m.type === 'done' && m.context_id === 'one-too-many', 'done for the context once admitted');
    await client.close();
  });

  it('refuses to arm more than the maximum of faults in one request', async () => {
    const tooMany = await postJson('/_control/faults', { stage: 'llm', kind: 'http500', count: MAX_FAULT_COUNT + 1 });
    expect(tooMany.status).toBe(400);
    expect(errorMessage(tooMany)).toMatch(/invalid fault/);
    expect(providers.behaviour.pendingFaults().llm).toEqual([]);
    const most = await postJson('/_control/faults', { stage: 'llm', kind: 'http500', count: MAX_FAULT_COUNT });
    expect(most.status).toBe(200);
    expect((await postJson('/_control/reset', {})).status).toBe(200);
  });

  it('refuses JSON bodies and audio uploads over their limits with 413', async () => {
    const bigJson = await call({
      method: 'POST',
      path: '/v1/chat/completions',
      headers: json,
      body: Buffer.alloc(MAX_JSON_BODY_BYTES + 1, 0x20),
    });
    expect(bigJson.status).toBe(413);
    const bigAudio = await call({
      method: 'POST',
      path: '/v1/audio/transcriptions',
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
      body: Buffer.alloc(MAX_AUDIO_BODY_BYTES + 1),
    });
    expect(bigAudio.status).toBe(413);
    await expectGoodChat();
  });

  it('refuses /_control to a cross-origin page, a foreign Host and a text/plain POST', async () => {
    // What a web page may send cross-site without a preflight.
    const crossSite = await call({
      method: 'POST',
      path: '/_control/faults',
      headers: { origin: 'http://evil.example', 'content-type': 'text/plain' },
      body: JSON.stringify({ stage: 'llm', kind: 'stall' }),
    });
    expect(crossSite.status).toBe(403);
    // DNS rebinding: the page's own name, resolved to this machine.
    const rebound = await call({ path: '/_control/requests', headers: { host: `evil.example:${base.port}` } });
    expect(rebound.status).toBe(403);
    const plain = await call({
      method: 'POST',
      path: '/_control/faults',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ stage: 'llm', kind: 'stall' }),
    });
    expect(plain.status).toBe(415);
    expect(providers.behaviour.pendingFaults().llm).toEqual([]);
    const sameOrigin = await call({
      method: 'POST',
      path: '/_control/faults',
      headers: { ...json, origin: providers.url },
      body: JSON.stringify({ stage: 'llm', kind: 'stall' }),
    });
    expect(sameOrigin.status).toBe(200);
    expect((await postJson('/_control/reset', {})).status).toBe(200);
  });

  it('answers a path that is no URL to resolve (`//`) with a 404, over HTTP and on upgrade, and a target that is no path with a 400', async () => {
    expect((await call({ path: '//' })).status).toBe(404);
    expect((await refusedUpgrade('//')).status).toBe(404);
    expect((await call({ method: 'OPTIONS', path: '*' })).status).toBe(400);
    await expectHealthy();
  });
});
