import { ReadableStream, type ReadableStreamDefaultController } from 'node:stream/web';
import { voice } from '@livekit/agents';
import { AudioFrame } from '@livekit/rtc-node';

const MIC_FRAME_MS = 20;
const MIC_RATE = 16_000;

/**
 * The caller's microphone without WebRTC: 20 ms frames paced in real time, of what the test has it
 * play (16 kHz speech, heard by the session's real VAD), silence otherwise.
 */
export class CallerAudioInput extends voice.AudioInput {
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
