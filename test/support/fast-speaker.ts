import { voice } from '@livekit/agents';
import type { AudioFrame } from '@livekit/rtc-node';

/**
 * The agent's audio played out, `speed` times faster than real time, with pauses and interruptions
 * as the room's output has them: a segment finishes once its audio has played, or at once when cleared.
 */
export class Speaker extends voice.AudioOutput {
  /** Audio of the segment in progress, and how much of it has played (seconds). */
  #captured = 0;
  #played = 0;
  #playingSince?: number;
  #flushed = false;
  readonly #timer: NodeJS.Timeout;
  /** When the caller heard the agent (Date.now(), 10 ms resolution); `to` unset while it plays. */
  readonly playout: { from: number; to?: number }[] = [];

  constructor(private readonly speed: number) {
    super(undefined, undefined, { pause: true });
    this.#timer = setInterval(() => this.#tick(), 10);
  }

  override async captureFrame(frame: AudioFrame): Promise<void> {
    await super.captureFrame(frame);
    if (this.#captured === 0) {
      this.#playingSince = performance.now();
      this.onPlaybackStarted(Date.now());
    }
    this.#captured += frame.samplesPerChannel / frame.sampleRate;
  }

  override flush(): void {
    super.flush();
    this.#flushed = true;
  }

  clearBuffer(): void {
    this.#advance();
    if (this.#captured > 0) this.#finish(true);
  }

  override pause(): void {
    this.#advance();
    this.#playingSince = undefined;
  }

  override resume(): void {
    this.#playingSince ??= performance.now();
  }

  close(): void {
    clearInterval(this.#timer);
  }

  #advance(): void {
    if (this.#playingSince === undefined) return;
    const now = performance.now();
    this.#played = Math.min(this.#captured, this.#played + ((now - this.#playingSince) / 1000) * this.speed);
    this.#playingSince = now;
  }

  #tick(): void {
    this.#advance();
    const playing = this.#playingSince !== undefined && this.#played < this.#captured;
    const last = this.playout.at(-1);
    if (playing && (last === undefined || last.to !== undefined)) this.playout.push({ from: Date.now() });
    if (!playing && last !== undefined && last.to === undefined) last.to = Date.now();
    if (this.#flushed && this.#captured > 0 && this.#played >= this.#captured) this.#finish(false);
  }

  #finish(interrupted: boolean): void {
    const position = this.#played;
    this.#captured = 0;
    this.#played = 0;
    this.#flushed = false;
    this.#playingSince = undefined;
    this.onPlaybackFinished({ playbackPosition: position, interrupted });
  }
}
