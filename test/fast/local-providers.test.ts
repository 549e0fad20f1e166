import { initializeLogger, llm, stt as sttApi, tts } from '@livekit/agents';
import * as cartesia from '@livekit/agents-plugin-cartesia';
import * as openai from '@livekit/agents-plugin-openai';
import { AudioFrame } from '@livekit/rtc-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningLocalProviders, startLocalProviders } from '../../harness/local-providers/index.js';
import { FliteSynthesizer } from '../../harness/speech/flite.js';
import { AGENT_VOICE, CALLER_VOICE } from '../../harness/speech/voices.js';
import { wordOverlap } from '../../harness/speech/words.js';
import { waitFor } from '../../harness/stack/wait.js';

/**
 * The local providers must be indistinguishable from the vendors for the real plugins: these tests
 * drive @livekit/agents-plugin-openai and -cartesia against them directly, without a room.
 */
const EVENT_NAMES: Partial<Record<sttApi.SpeechEventType, string>> = {
  [sttApi.SpeechEventType.START_OF_SPEECH]: 'start',
  [sttApi.SpeechEventType.INTERIM_TRANSCRIPT]: 'interim',
  [sttApi.SpeechEventType.FINAL_TRANSCRIPT]: 'final',
  [sttApi.SpeechEventType.END_OF_SPEECH]: 'end',
};

describe('local providers, driven by the real plugins', () => {
  let providers: RunningLocalProviders;
  const noRetry = { maxRetry: 0, retryIntervalMs: 0, timeoutMs: 3000 };

  beforeAll(async () => {
    initializeLogger({ pretty: false, level: 'fatal' });
    providers = await startLocalProviders({ port: 0 });
  });
  afterAll(async () => {
    await providers?.close();
  });
  afterEach(async () => {
    await fetch(`${providers.url}/_control/reset`, { method: 'POST', headers: { 'content-type': 'application/json' } });
  });

  const chatLlm = () => new openai.LLM({ model: 'gpt-4o-mini', baseURL: `${providers.url}/v1`, apiKey: 'local' });
  /** The reply, and the error the plugin reported (the stream ends quietly; errors go to the LLM's 'error' event). */
  async function ask(question: string, connOptions = noRetry) {
    const chatCtx = new llm.ChatContext();
    chatCtx.addMessage({ role: 'user', content: question });
    const model = chatLlm();
    let error: Error | undefined;
    model.on('error', (e) => (error = e.error));
    const response = await model
      .chat({ chatCtx, connOptions })
      .collect()
      .catch((e: Error) => ({ text: '', thrown: e }));
    return { text: response.text, error: error ?? ('thrown' in response ? response.thrown : undefined) };
  }

  it('streams the scripted answer through the OpenAI LLM plugin and logs the request', async () => {
    const response = await ask('Tell me a joke');
    expect(response.text).toBe('Why did the chicken cross the road? To get to the other side.');
    const [record] = providers.log.list('llm');
    expect(record).toMatchObject({ outcome: 'completed', input: [{ role: 'user', content: 'Tell me a joke' }] });
  });

  it("calls a tool the agent offers, as OpenAI streams a call, and answers the tool's output", async () => {
    const model = chatLlm();
    const tools = { end_call: llm.tool({ description: 'Ends the call.', execute: async () => 'say goodbye to the user' }) };
    const chatCtx = new llm.ChatContext();
    chatCtx.addMessage({ role: 'user', content: 'Thank you, goodbye.' });
    const calls: llm.FunctionCall[] = [];
    for await (const chunk of model.chat({ chatCtx, toolCtx: tools, connOptions: noRetry })) calls.push(...(chunk.delta?.toolCalls ?? []));
    expect(calls.map((c) => [c.name, c.args])).toEqual([['end_call', '{}']]);

    // The tool's output comes back JSON-encoded, as the framework sends it; the script answers it.
    chatCtx.insert([
      calls[0]!,
      llm.FunctionCallOutput.create({
        callId: calls[0]!.callId,
        name: 'end_call',
        output: JSON.stringify('say goodbye to the user'),
        isError: false,
      }),
    ]);
    const reply = await model.chat({ chatCtx, toolCtx: tools, connOptions: noRetry }).collect();
    expect(reply.text).toBe('You are welcome. Have a nice day and goodbye.');
    expect(reply.toolCalls).toEqual([]);
  });

  it('adds the configured time to first token and paces tokens', async () => {
    const control = await fetch(`${providers.url}/_control/latency`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ llmTtftMs: 300, llmTokensPerSecond: 100 }),
    });
    expect(await control.json()).toMatchObject({ llmTtftMs: 300, llmTokensPerSecond: 100 });
    const started = performance.now();
    await ask('Tell me a joke'); // 13 tokens: 300 ms + 12 gaps of 10 ms at least
    expect(performance.now() - started).toBeGreaterThanOrEqual(300 + 12 * 10);
  });

  it('fails the LLM on demand: 500, a dropped stream, a stall past the client timeout', async () => {
    const inject = (kind: string) =>
      fetch(`${providers.url}/_control/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ stage: 'llm', kind }),
      });
    await inject('http500');
    expect((await ask('hello')).error?.message).toMatch(/500/);
    await inject('drop');
    expect((await ask('Tell me a joke')).error?.message).toMatch(/Connection error/);
    await inject('stall');
    expect((await ask('hello', { ...noRetry, timeoutMs: 500 })).error).toBeDefined();
    expect(providers.log.list('llm').map((r) => r.outcome)).toEqual(['fault:http500', 'fault:drop', 'fault:stall']);
  });

  it('rejects a malformed control request with a reason', async () => {
    const res = await fetch(`${providers.url}/_control/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ stage: 'llm', kind: 'explode' }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/invalid fault/);
  });

  it('transcribes through the OpenAI STT plugin', async () => {
    const speech = await new FliteSynthesizer({ voice: AGENT_VOICE }).synthesize('It is sunny and warm today.');
    const stt = new openai.STT({ useRealtime: false, model: 'whisper-1', baseURL: `${providers.url}/v1`, apiKey: 'local' });
    const frame = new AudioFrame(speech.pcm, speech.sampleRate, 1, speech.pcm.length);
    const event = await stt.recognize(frame);
    expect(wordOverlap('It is sunny and warm today', event.alternatives![0].text)).toBeGreaterThanOrEqual(0.8);
  });

  it('transcribes a stream over the realtime WebSocket: server VAD ends each utterance', async () => {
    const synth = new FliteSynthesizer({ voice: AGENT_VOICE });
    const utterances = ['It is sunny and warm today.', 'Tell me a funny joke.'];
    const stream = realtimeStt(providers.url).stream();
    const events: { type: string; text?: string }[] = [];
    const collecting = (async () => {
      for await (const ev of stream) events.push({ type: EVENT_NAMES[ev.type] ?? 'other', text: ev.alternatives?.[0]?.text });
    })();
    const pushInRealTime = (pcm: Int16Array, rate: number) => pushInRealTimeTo(stream, pcm, rate);
    // Silence first, as while the agent greets: the connection's decoder loads and hears its primer meanwhile.
    await pushInRealTime(new Int16Array(3 * 16_000), 16_000);
    for (const text of utterances) {
      const speech = await synth.synthesize(text);
      await pushInRealTime(speech.pcm, speech.sampleRate);
      await pushInRealTime(new Int16Array(speech.sampleRate), speech.sampleRate); // 1 s of silence
    }
    // The final follows the end of each utterance once decoded: wait for it, not for a fixed time.
    await waitFor(() => events.filter((e) => e.type === 'final').length >= utterances.length, {
      timeoutMs: 15_000,
      what: 'a final transcript of each utterance',
    });
    stream.endInput();
    stream.close();
    await collecting.catch(() => undefined);

    const finals = events.filter((e) => e.type === 'final');
    expect(finals).toHaveLength(2);
    utterances.forEach((u, i) => {
      expect(wordOverlap(u, finals[i]!.text ?? '')).toBeGreaterThanOrEqual(0.6);
    });
    expect(events.filter((e) => e.type === 'start')).toHaveLength(2);
    expect(events.filter((e) => e.type === 'interim').length).toBeGreaterThan(0);
    const record = providers.log.list('stt');
    expect(record.map((r) => r.outcome)).toEqual(['completed', 'completed']);
  });

  it('with its turn detection off, transcribes each utterance the moment the client commits it', async () => {
    const synth = new FliteSynthesizer({ voice: AGENT_VOICE });
    const utterances = ['It is sunny and warm today.', 'Tell me a funny joke.'];
    // As the agent runs it with `stt.commit: agent`: the session's VAD commits (here: flush()).
    const stt = new openai.STT({
      useRealtime: true,
      model: 'gpt-4o-transcribe',
      baseURL: `${providers.url}/v1`,
      apiKey: 'local',
      turnDetection: null,
      vad: null,
    });
    const stream = stt.stream();
    const finals: { text: string; at: number }[] = [];
    const collecting = (async () => {
      for await (const ev of stream)
        if (ev.type === sttApi.SpeechEventType.FINAL_TRANSCRIPT)
          finals.push({ text: ev.alternatives?.[0]?.text ?? '', at: performance.now() });
    })();
    await pushInRealTimeTo(stream, new Int16Array(3 * 16_000), 16_000);
    for (const [i, text] of utterances.entries()) {
      const speech = await synth.synthesize(text);
      await pushInRealTimeTo(stream, speech.pcm, speech.sampleRate);
      // A second of silence is not the end of anything without a commit: no server VAD decides.
      await pushInRealTimeTo(stream, new Int16Array(speech.sampleRate), speech.sampleRate);
      expect(finals).toHaveLength(i);
      const committedAt = performance.now();
      stream.flush();
      await waitFor(() => finals.length > i, { timeoutMs: 10_000, what: 'the final transcript of the committed utterance' });
      console.log(`commit → final: ${Math.round(finals[i]!.at - committedAt)} ms`);
    }
    stream.endInput();
    stream.close();
    await collecting.catch(() => undefined);
    utterances.forEach((u, i) => {
      expect(wordOverlap(u, finals[i]!.text)).toBeGreaterThanOrEqual(0.6);
    });
  });

  async function synthesizeAll(engine: tts.TTS, sentences: string[]) {
    const stream = engine.stream();
    for (const s of sentences) stream.pushText(`${s} `);
    stream.endInput();
    const frames: AudioFrame[] = [];
    const words: { text: string; startTime?: number }[] = [];
    for await (const ev of stream) {
      if (ev === tts.SynthesizeStream.END_OF_STREAM) break;
      frames.push(ev.frame);
      words.push(...(ev.timedTranscripts ?? []));
    }
    return { seconds: frames.reduce((n, f) => n + f.samplesPerChannel / f.sampleRate, 0), words };
  }

  it('speaks every sentence through the Cartesia plugin, with word timestamps across sentences', async () => {
    const engine = new cartesia.TTS({ baseUrl: providers.url, apiKey: 'local' });
    const sentences = ['It is sunny and warm today, really.', 'It is a good day for a long walk in the park.'];
    const { seconds, words } = await synthesizeAll(engine, sentences);
    const expected = sentences
      .join(' ')
      .split(' ')
      .map((w) => w.replace(/[,.]/g, ''));
    expect(words.map((w) => w.text.trim())).toEqual(expected);
    const starts = words.map((w) => w.startTime ?? -1);
    expect(starts).toEqual([...starts].sort((a, b) => a - b)); // one timeline for the whole context
    expect(starts[starts.length - 1]).toBeLessThan(seconds);
    expect(seconds).toBeGreaterThan(3);
    await engine.close();
  });

  it('speaks through the OpenAI TTS plugin at its 24 kHz', async () => {
    const engine = new openai.TTS({ baseURL: `${providers.url}/v1`, apiKey: 'local' });
    const frames: AudioFrame[] = [];
    for await (const ev of engine.synthesize('Hello there.')) frames.push(ev.frame);
    expect(frames[0]!.sampleRate).toBe(24000);
    expect(frames.reduce((n, f) => n + f.samplesPerChannel, 0)).toBeGreaterThan(24000 * 0.5);
  });
});

describe('local providers with the load engines, driven by the real plugins', () => {
  it('name each known sentence over the realtime WebSocket, and hear an unknown one as nothing', async () => {
    initializeLogger({ pretty: false, level: 'fatal' });
    const synth = new FliteSynthesizer({ voice: CALLER_VOICE });
    const known = ['Is it going to rain?', 'What is your name, please?'];
    const knownSpeech = await Promise.all(known.map(async (text) => ({ text, ...(await synth.synthesize(text)) })));
    const providers = await startLocalProviders({ port: 0, loadEngines: { knownSpeech } });
    try {
      const stream = realtimeStt(providers.url).stream();
      const finals: string[] = [];
      const collecting = (async () => {
        for await (const ev of stream)
          if (ev.type === sttApi.SpeechEventType.FINAL_TRANSCRIPT) finals.push(ev.alternatives?.[0]?.text ?? '');
      })();
      for (const text of [known[1]!, 'Seven green boxes arrived late on a windy Tuesday.', known[0]!]) {
        const speech = await synth.synthesize(text);
        await pushInRealTimeTo(stream, speech.pcm, speech.sampleRate);
        await pushInRealTimeTo(stream, new Int16Array(speech.sampleRate / 2), speech.sampleRate);
      }
      await waitFor(() => providers.log.list('stt').filter((r) => r.outcome).length >= 3, {
        timeoutMs: 10_000,
        what: 'three utterances transcribed',
      });
      stream.endInput();
      stream.close();
      await collecting.catch(() => undefined);
      expect(providers.log.list('stt').map((r) => r.output)).toEqual([known[1], '', known[0]]);
      expect(finals.filter(Boolean)).toEqual([known[1], known[0]]);
    } finally {
      await providers.close();
    }
  });
});

/** The OpenAI plugin's realtime STT against the local providers at `url`, their server VAD ending each utterance. */
function realtimeStt(url: string): openai.STT {
  return new openai.STT({
    useRealtime: true,
    model: 'gpt-4o-transcribe',
    baseURL: `${url}/v1`,
    apiKey: 'local',
    turnDetection: { type: 'server_vad', threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 350 },
  });
}

/** Pushes audio into an STT stream 20 ms at a time, as a caller speaks: the decoder keeps up, interims come. */
async function pushInRealTimeTo(stream: sttApi.SpeechStream, pcm: Int16Array, rate: number): Promise<void> {
  const frameMs = 20;
  const n = (rate * frameMs) / 1000;
  for (let i = 0; i < pcm.length; i += n) {
    const part = new Int16Array(n);
    part.set(pcm.subarray(i, i + n));
    stream.pushFrame(new AudioFrame(part, rate, 1, n));
    await new Promise((r) => setTimeout(r, frameMs));
  }
}
