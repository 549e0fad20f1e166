import { voice } from '@livekit/agents';
import { type AudioFrame, AudioResampler } from '@livekit/rtc-node';
import { energy } from './pcm.js';
import { TenMsFramer } from './ten-ms-framer.js';
import type { WebRtcEchoCanceller } from './webrtc-echo-canceller.js';

const FRAME_MS = 10;

interface ReferenceFrame {
  pcm: Int16Array;
  /** performance.now() at which the room plays it out. */
  playsAt: number;
  /** Already reported as played (`onPlayed`). */
  reported: boolean;
}

/**
 * The far end: a link in the session's audio output chain that hands the agent's speech to the
 * echo canceller at the pace it is played out. Frames reach the output faster than real time (the
 * room's audio source queues up to a second), while AEC3 needs each far-end frame at most ~500 ms
 * before its echo: so each frame gets the time the room plays it (a segment plays on from the
 * previous one, or at once after a gap) and is handed over only then, plus the echo delay the
 * near end has measured beyond what AEC3 can find itself.
 *
 * The near end pulls them (`releaseDue`) just before each of its own frames: AEC3 wants its far
 * and near streams interleaved, and a timer of its own drifted in bursts on a busy event loop
 * (measured: 7-10 dB removed instead of 37). A pause or an interruption discards what the room had
 * not played yet; what it had played stays, since its echo is still on its way back.
 */
export class PlayoutReferenceOutput extends voice.AudioOutput {
  readonly #framer: TenMsFramer;
  #resampler?: AudioResampler;
  #pending: ReferenceFrame[] = [];
  /** When the next frame handed to the room will play out; undefined when nothing is queued there. */
  #nextPlaysAt?: number;
  /** Counts interruptions: a frame the room was still holding when one came was never played. */
  #cleared = 0;
  /** The far end has been handed to the canceller up to this time (performance.now()). */
  #renderedUntil?: number;
  readonly #silence: Int16Array;
  /** Far-end frames of the agent's audio handed to the canceller (silence not counted). */
  releasedFrames = 0;

  constructor(
    private readonly canceller: WebRtcEchoCanceller,
    next: voice.AudioOutput,
  ) {
    super(next.sampleRate, next, { pause: true });
    this.#framer = new TenMsFramer(canceller.sampleRate);
    this.#silence = new Int16Array(canceller.frameSamples);
  }

  override async captureFrame(frame: AudioFrame): Promise<void> {
    await super.captureFrame(frame);
    const cleared = this.#cleared;
    // The room holds a frame while paused and drops it on an interruption: it plays (and is timed) once this returns.
    await this.nextInChain!.captureFrame(frame);
    if (cleared !== this.#cleared) return;
    for (const part of this.#toCancellerRate(frame)) this.#queue(this.#framer.push(part.data));
  }

  override flush(): void {
    super.flush();
    const tail = this.#framer.flush();
    if (tail) this.#queue([tail]);
    this.nextInChain!.flush();
  }

  override clearBuffer(): void {
    this.#cleared++;
    this.#dropUnplayed();
    this.nextInChain!.clearBuffer();
  }

  override pause(): void {
    // The room output drops its queued audio while paused and plays on from new frames.
    this.#dropUnplayed();
    super.pause();
  }

  /**
   * Reports each frame played out by `now` to `onPlayed` (with its energy, once), and hands the
   * canceller the far end up to `now - delayMs`: the frames played out by then, and silence for
   * every 10 ms in which nothing played. AEC3 wants a render stream as continuous as a sound card's:
   * fed only while the agent spoke, it removed 16-18 dB of echo instead of 63 (measured offline,
   * speech with 4 s pauses at 240-400 ms of delay).
   */
  releaseDue(now: number, delayMs = 0, onPlayed?: (playedAt: number, energy: number) => void): void {
    if (this.canceller.closed) return;
    for (const frame of this.#pending) {
      if (frame.playsAt > now) break;
      if (!frame.reported) {
        frame.reported = true;
        onPlayed?.(frame.playsAt, energy(frame.pcm));
      }
    }
    const until = now - delayMs;
    this.#renderedUntil ??= until;
    while (this.#renderedUntil + FRAME_MS <= until) {
      this.#renderedUntil += FRAME_MS;
      let played = false;
      while (this.#pending.length > 0 && this.#pending[0]!.playsAt < this.#renderedUntil) {
        this.canceller.processReverse(this.#pending.shift()!.pcm);
        this.releasedFrames++;
        played = true;
      }
      if (!played) this.canceller.processReverse(this.#silence);
    }
  }

  #queue(frames: Int16Array[]): void {
    if (frames.length === 0) return;
    const now = performance.now();
    // After a gap the room plays the new audio at once; otherwise right after what it holds.
    if (this.#nextPlaysAt === undefined || this.#nextPlaysAt < now) this.#nextPlaysAt = now;
    for (const pcm of frames) {
      this.#pending.push({ pcm, playsAt: this.#nextPlaysAt, reported: false });
      this.#nextPlaysAt += FRAME_MS;
    }
  }

  #dropUnplayed(): void {
    const now = performance.now();
    this.#pending = this.#pending.filter((f) => f.playsAt <= now);
    this.#framer.reset();
    this.#nextPlaysAt = undefined;
  }

  #toCancellerRate(frame: AudioFrame): AudioFrame[] {
    if (frame.sampleRate === this.canceller.sampleRate && frame.channels === 1) return [frame];
    this.#resampler ??= new AudioResampler(frame.sampleRate, this.canceller.sampleRate, 1);
    return this.#resampler.push(frame);
  }
}
