import { AudioFrame, AudioSource } from '@livekit/rtc-node';
import { resample } from '../speech/audio.js';
import type { PhoneLine } from '../speech/phone-line.js';
import type { EchoPath } from './echo-path.js';

export const MIC_SAMPLE_RATE = 48_000;
const FRAME_MS = 10;
const FRAME_SAMPLES = (MIC_SAMPLE_RATE * FRAME_MS) / 1000;

/**
 * A microphone that never stops: it sends silence between utterances, as a real one does, in 10 ms
 * frames paced by a short source queue (so "sent" means about to go on the wire, not buffered for a
 * second), and reports when the last sample of each utterance was sent. In a noisy room it picks up
 * the room as well, all the time (`room`: a bed at this microphone's rate, looped).
 */
export class Microphone {
  readonly source = new AudioSource(MIC_SAMPLE_RATE, 1, 40);
  #pending: { pcm: Int16Array; offset: number; done: (endedAt: number) => void }[] = [];
  #running = true;
  #roomAt = 0;
  readonly #pump: Promise<void>;

  constructor(
    /** The agent's voice leaking back into this microphone. */
    private readonly echo?: EchoPath,
    /** A phone network between this microphone and the room. */
    private readonly line?: PhoneLine,
    /** What the room around the caller sounds like, at MIC_SAMPLE_RATE, as loud as it reaches the microphone. */
    private readonly room?: Int16Array,
  ) {
    this.#pump = this.#run();
  }

  /** Queues an utterance; resolves with performance.now() at which its last sample left the queue. */
  speak(pcm: Int16Array, sampleRate: number): Promise<number> {
    return new Promise((done) => this.#pending.push({ pcm: resample(pcm, sampleRate, MIC_SAMPLE_RATE), offset: 0, done }));
  }

  async close(): Promise<void> {
    this.#running = false;
    // A frame queued on a connection that died never completes: do not wait for it for long.
    await Promise.race([this.#pump, new Promise((r) => setTimeout(r, 500))]);
    await this.source.close();
  }

  async #run(): Promise<void> {
    while (this.#running) {
      const frame = new Int16Array(FRAME_SAMPLES);
      const current = this.#pending[0];
      let finished = false;
      if (current) {
        const part = current.pcm.subarray(current.offset, current.offset + FRAME_SAMPLES);
        frame.set(part);
        current.offset += part.length;
        finished = current.offset >= current.pcm.length;
      }
      if (this.room?.length) {
        for (let i = 0; i < frame.length; i++)
          frame[i] = Math.max(-32768, Math.min(32767, frame[i]! + this.room[(this.#roomAt + i) % this.room.length]!));
        this.#roomAt = (this.#roomAt + frame.length) % this.room.length;
      }
      this.echo?.mixInto(frame);
      const sent = this.line ? this.line.process(frame) : frame;
      await this.source.captureFrame(new AudioFrame(sent, MIC_SAMPLE_RATE, 1, FRAME_SAMPLES));
      if (finished && current) {
        this.#pending.shift();
        // The frame is queued, not yet sent: count the queue so the time is when it goes out.
        current.done(performance.now() + this.source.queuedDuration);
      }
    }
  }
}
