import { ReadableStream } from 'node:stream/web';
import { type VAD, VADEventType } from '@livekit/agents';
import * as silero from '@livekit/agents-plugin-silero';
import { AudioFrame } from '@livekit/rtc-node';
import { TURN_SAMPLE_RATE } from './corpus.js';

/** Silero's window at 16 kHz (512 samples): the audio after the last whole one is never inferred. */
const LAST_WINDOW_MS = 32;

/** The Silero settings swept (the plugin's own options). */
export interface VadSetting {
  activationThreshold: number;
  minSilenceDurationMs: number;
}

/** A stretch of speech as the VAD reported it, in ms of audio: `end` is when it reported the end (after its silence). */
export interface VadSegment {
  start: number;
  end?: number;
  /** The silence it had counted when it reported the end: the speech itself ended at `end - silence`. */
  silence?: number;
}

/** What the VAD made of one turn's audio, fed through the Silero plugin's own stream faster than real time. */
export async function vadSegments(vad: VAD, pcm: Int16Array): Promise<VadSegment[]> {
  const stream = vad.stream();
  const frame = TURN_SAMPLE_RATE / 100;
  const frames = Math.floor(pcm.length / frame);
  let next = 0;
  stream.updateInputStream(
    new ReadableStream<AudioFrame>({
      pull: (controller) => {
        if (next < frames) controller.enqueue(new AudioFrame(pcm.slice(next * frame, ++next * frame), TURN_SAMPLE_RATE, 1, frame));
      },
    }),
  );
  // The stream does not end with its input: read until the VAD has heard the last whole window.
  const audioMs = (frames * frame * 1000) / TURN_SAMPLE_RATE;
  const segments: VadSegment[] = [];
  for await (const ev of stream) {
    if (ev.type === VADEventType.START_OF_SPEECH) segments.push({ start: ev.timestamp });
    if (ev.type === VADEventType.END_OF_SPEECH && segments.length)
      Object.assign(segments.at(-1)!, { end: ev.timestamp, silence: ev.silenceDuration });
    if (ev.type === VADEventType.INFERENCE_DONE && ev.timestamp >= audioMs - LAST_WINDOW_MS) break;
  }
  stream.close();
  return segments;
}

export function loadVad(setting: VadSetting): Promise<VAD> {
  return silero.VAD.load({
    activationThreshold: setting.activationThreshold,
    minSilenceDuration: setting.minSilenceDurationMs,
    sampleRate: TURN_SAMPLE_RATE,
  });
}
