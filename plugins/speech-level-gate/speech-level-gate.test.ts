import { initializeLogger, type VAD, VADEventType } from '@livekit/agents';
import * as silero from '@livekit/agents-plugin-silero';
import { AudioFrame } from '@livekit/rtc-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { resample } from '../../harness/speech/audio.js';
import { FliteSynthesizer } from '../../harness/speech/flite.js';
import { babbleBed, underBed } from '../../harness/speech/noise-beds.js';
import { DEFAULT_SPEECH_LEVEL_GATE, SpeechLevelGate, SpeechLevelGatedVAD } from './index.js';

const RATE = 16_000;
const at = (ms: number) => Math.round((ms / 1000) * RATE);

/** A caller: 1 s of room, a sentence, 3 s of room; `speech` is where the sentence is (ms). */
interface Call {
  pcm: Int16Array;
  speech: [number, number];
}

let sentence: Int16Array;
let babble: Int16Array;

function call(bedSnrDb?: number): Call {
  const pcm = new Int16Array(at(1000) + sentence.length + at(3000));
  pcm.set(sentence, at(1000));
  const speech: [number, number] = [1000, 1000 + (sentence.length / RATE) * 1000];
  return { pcm: bedSnrDb === undefined ? pcm : underBed(pcm, babble, bedSnrDb, rmsOf(sentence)), speech };
}

function rmsOf(pcm: Int16Array): number {
  let s = 0;
  for (const x of pcm) s += x * x;
  return Math.sqrt(s / pcm.length);
}

/** The share of the audio's energy in [from, to) ms that passed the gate. */
function energyPassed(gated: Int16Array, heard: Int16Array, from: number, to: number): number {
  const energy = (pcm: Int16Array) => pcm.subarray(at(from), at(to)).reduce((s, x) => s + x * x, 0);
  return energy(gated) / energy(heard);
}

beforeAll(async () => {
  initializeLogger({ pretty: false, level: 'error' });
  const s = await new FliteSynthesizer({ voice: 'slt' }).synthesize('Could you tell me when my order will arrive, please?');
  sentence = resample(s.pcm, s.sampleRate, RATE);
  babble = await babbleBed(RATE);
});

describe('the speech-level gate', () => {
  it('leaves a caller in a quiet room as they are', () => {
    const { pcm, speech } = call();
    const gated = new SpeechLevelGate({ sampleRate: RATE, ...DEFAULT_SPEECH_LEVEL_GATE }).process(pcm);
    expect(energyPassed(gated, pcm, speech[0], speech[1])).toBeGreaterThan(0.999);
  });

  it('silences the babble of a room 10 dB under the caller once it has heard them, and most of their speech passes', () => {
    const { pcm, speech } = call(10);
    const gated = new SpeechLevelGate({ sampleRate: RATE, ...DEFAULT_SPEECH_LEVEL_GATE }).process(pcm);
    // Measured: 16 % of the babble's energy passes (its loudest moments), 100 % without the gate.
    expect(energyPassed(gated, pcm, speech[1] + 50, speech[1] + 3000)).toBeLessThan(0.25);
    expect(energyPassed(gated, pcm, speech[0], speech[1])).toBeGreaterThan(0.9);
  });
});

describe('the gated VAD', () => {
  /** Where the VAD reports the caller's speech ending (ms), if it does. */
  async function endsOfSpeech(vad: VAD, pcm: Int16Array): Promise<number[]> {
    const stream = vad.stream();
    for (let i = 0; i + at(50) <= pcm.length; i += at(50)) stream.pushFrame(new AudioFrame(pcm.slice(i, i + at(50)), RATE, 1, at(50)));
    // The stream does not end with its input: read until the VAD has heard the last whole window (32 ms).
    const ends: number[] = [];
    for await (const ev of stream) {
      if (ev.type === VADEventType.END_OF_SPEECH) ends.push(ev.timestamp);
      if (ev.type === VADEventType.INFERENCE_DONE && ev.timestamp >= (pcm.length / RATE) * 1000 - 100) break;
    }
    stream.close();
    return ends;
  }

  it('hears a caller in babble stop, where Silero alone hears them talk on', async () => {
    const { pcm, speech } = call(10);
    const opts = { minSilenceDuration: 250, sampleRate: 16_000 as const };
    expect(await endsOfSpeech(await silero.VAD.load(opts), pcm)).toEqual([]);
    const ends = await endsOfSpeech(new SpeechLevelGatedVAD(await silero.VAD.load(opts)), pcm);
    expect(ends.filter((e) => e > speech[1] && e < speech[1] + 800)).toHaveLength(1);
  }, 30_000);

  it("passes on the caller's own audio in its events, not the gated audio the VAD heard", async () => {
    // A non-streaming STT transcribes the end-of-speech event's frames (agents-js StreamAdapter).
    const { pcm } = call(10);
    const stream = new SpeechLevelGatedVAD(await silero.VAD.load({ minSilenceDuration: 250, sampleRate: 16_000 })).stream();
    for (let i = 0; i + at(50) <= pcm.length; i += at(50)) stream.pushFrame(new AudioFrame(pcm.slice(i, i + at(50)), RATE, 1, at(50)));
    const heard: { end: number; audio: Int16Array }[] = [];
    for await (const ev of stream) {
      // At the model's rate, as here, the input consumed is the event's sample index.
      if (ev.type === VADEventType.END_OF_SPEECH || ev.type === VADEventType.INFERENCE_DONE)
        heard.push({ end: ev.samplesIndex, audio: ev.frames[0]!.data });
      if (ev.type === VADEventType.END_OF_SPEECH) break;
    }
    stream.close();
    const speechEnd = heard.at(-1)!;
    expect(speechEnd.audio.length).toBeGreaterThan(at(1000));
    for (const { end, audio } of heard) expect(audio).toEqual(pcm.subarray(end - audio.length, end));
  }, 30_000);
});
