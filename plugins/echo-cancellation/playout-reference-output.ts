import { voice } from '@livekit/agents';
import { type AudioFrame, AudioResampler } from '@livekit/rtc-node';
import { TenMsFramer } from './ten-ms-framer.js';
import type { WebRtcEchoCanceller } from './webrtc-echo-canceller.js';

const FRAME_MS = 10;

/**
 * The far end: a link in the session's audio output chain that hands the agent's speech to the
 * echo canceller at the pace it is played out. Frames reach the output faster than real time (the
 * room's audio source queues up to a second), while AEC3 needs each far-end frame at most ~500 ms
 * before its echo: so frames are queued here on a playout clock that starts with the segment, stops
 * while paused, and is dropped with the buffer on an interruption or a pause (the room output
 * discards what it had queued). The near end pulls them (`releaseDue`) just before each of its own
 * frames: AEC3 wants its far and near streams interleaved, and a timer of its own drifted in bursts
 * on a busy event loop (measured: 7-10 dB removed instead of 37).
 */
export class PlayoutReferenceOutput extends voice.AudioOutput {
  readonly #framer: TenMsFramer;
  #resampler?: AudioResampler;
  #pending: Int16Array[] = [];
  /** performance.now() at which the first pending frame is due; undefined when nothing plays. */
  #clock?: number;
  #paused = false;
  /** Far-end frames handed to the canceller. */
  releasedFrames = 0;

  constructor(
    private readonly canceller: WebRtcEchoCanceller,
    next: voice.AudioOutput,
  ) {
    super(next.sampleRate, next, { pause: true });
    this.#framer = new TenMsFramer(canceller.sampleRate);
  }

  override async captureFrame(frame: AudioFrame): Promise<void> {
    await super.captureFrame(frame);
    for (const part of this.#toCancellerRate(frame)) this.#pending.push(...this.#framer.push(part.data));
    this.#clock ??= performance.now();
    await this.nextInChain!.captureFrame(frame);
  }

  override flush(): void {
    super.flush();
    const tail = this.#framer.flush();
    if (tail) this.#pending.push(tail);
    this.nextInChain!.flush();
  }

  override clearBuffer(): void {
    this.#pending = [];
    this.#framer.reset();
    this.#clock = undefined;
    this.nextInChain!.clearBuffer();
  }

  override pause(): void {
    this.#paused = true;
    // The room output drops its queued audio while paused and plays on from new frames.
    this.#pending = [];
    this.#framer.reset();
    super.pause();
  }

  override resume(): void {
    this.#paused = false;
    if (this.#clock !== undefined) this.#clock = Math.max(this.#clock, performance.now());
    super.resume();
  }

  /** Hands the canceller every far-end frame played out by `now`. */
  releaseDue(now = performance.now()): void {
    if (this.#paused || this.#clock === undefined || this.canceller.closed) return;
    while (this.#pending.length > 0 && this.#clock <= now) {
      this.canceller.processReverse(this.#pending.shift()!);
      this.releasedFrames++;
      this.#clock += FRAME_MS;
    }
    // Played out: the next segment starts its own clock.
    if (this.#pending.length === 0) this.#clock = undefined;
  }

  #toCancellerRate(frame: AudioFrame): AudioFrame[] {
    if (frame.sampleRate === this.canceller.sampleRate && frame.channels === 1) return [frame];
    this.#resampler ??= new AudioResampler(frame.sampleRate, this.canceller.sampleRate, 1);
    return this.#resampler.push(frame);
  }
}
