import { type AudioFrame, FrameProcessor } from '@livekit/rtc-node';
import type { WebRtcEchoCanceller } from './webrtc-echo-canceller.js';

/**
 * The near end: plugged into the room input (`inputOptions.noiseCancellation`), so the caller's
 * audio is cleaned of the agent's echo before the VAD and the STT see it. Frames are processed in
 * place, 10 ms at a time; a frame that is not a whole number of 10 ms chunks at the canceller's rate
 * passes through untouched (and is counted), since the native module cannot take it.
 */
export class EchoCancellingInput extends FrameProcessor<AudioFrame> {
  #enabled = true;
  /** Frames passed through unprocessed because of their rate or size. */
  skippedFrames = 0;
  processedFrames = 0;
  /** Sums of squared samples before and after cancellation: their ratio is the echo (and speech) removed. */
  energyIn = 0;
  energyOut = 0;

  /** The far end, pulled before each near frame so the two streams stay interleaved (set once playout is tapped). */
  farEnd?: { releaseDue(): void };

  constructor(private readonly canceller: WebRtcEchoCanceller) {
    super();
  }

  isEnabled(): boolean {
    return this.#enabled;
  }

  setEnabled(enabled: boolean): void {
    this.#enabled = enabled;
  }

  process(frame: AudioFrame): AudioFrame {
    const { frameSamples, sampleRate } = this.canceller;
    if (!this.#enabled || this.canceller.closed) return frame;
    if (frame.sampleRate !== sampleRate || frame.channels !== 1 || frame.data.length % frameSamples !== 0) {
      this.skippedFrames++;
      return frame;
    }
    this.energyIn += energy(frame.data);
    this.farEnd?.releaseDue();
    for (let offset = 0; offset < frame.data.length; offset += frameSamples) {
      this.canceller.processNear(frame.data.subarray(offset, offset + frameSamples));
    }
    this.energyOut += energy(frame.data);
    this.processedFrames++;
    return frame;
  }

  close(): void {
    this.canceller.close();
  }
}

function energy(pcm: Int16Array): number {
  let sum = 0;
  for (let i = 0; i < pcm.length; i++) sum += pcm[i]! * pcm[i]!;
  return sum;
}
