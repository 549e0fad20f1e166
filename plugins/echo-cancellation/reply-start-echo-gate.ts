export interface ReplyStartEchoGateOptions {
  /** Far-end silence after which playout counts as a new reply. */
  silenceMs?: number;
  /** How long after a reply's echo starts arriving the gate stays armed. */
  guardMs?: number;
  /** Canceller output this much quieter than the loudest far frame that could echo in it is taken for echo. */
  marginDb?: number;
}

/**
 * Mutes what AEC3 lets through of the agent's echo at the start of each reply. Between replies a
 * call's echo delay moves (jitter buffers drain and refill), and AEC3 needs a moment of far-end
 * speech to find it again: measured, the first words of a reply leaked through often enough to be
 * transcribed ("what" from "once upon a") and cut the agent off. For the first `guardMs` of a
 * reply's echo, a canceller output `marginDb` quieter than the far end that could have caused it
 * is silenced. A caller who speaks up then is as loud as the agent and passes; the echo left over
 * is at least the room's loss (10 dB or more) plus whatever AEC3 already removed below it.
 * `rearm` starts the same guard when the canceller's reference is moved (AEC3 re-converges then too).
 */
export class ReplyStartEchoGate {
  readonly #silenceMs: number;
  readonly #guardMs: number;
  readonly #margin: number;
  /** Far frames played recently, oldest first: [playedAt, mean square per sample]. */
  #recent: [number, number][] = [];
  #lastPlayedAt = Number.NEGATIVE_INFINITY;
  #replyStartedAt = Number.NEGATIVE_INFINITY;
  #rearmedAt = Number.NEGATIVE_INFINITY;
  /** Near frames silenced so far. */
  mutedFrames = 0;

  constructor(opts: ReplyStartEchoGateOptions = {}) {
    this.#silenceMs = opts.silenceMs ?? 300;
    // AEC3 has been seen to need ~2 s to find the echo again on a busy machine.
    this.#guardMs = opts.guardMs ?? 3000;
    this.#margin = 10 ** (-(opts.marginDb ?? 10) / 10);
  }

  /** A far frame with audio in it played at `playedAt`, at this mean square per sample. */
  farPlayed(playedAt: number, meanSquare: number): void {
    if (meanSquare <= 0) return;
    if (playedAt - this.#lastPlayedAt >= this.#silenceMs) this.#replyStartedAt = playedAt;
    this.#lastPlayedAt = Math.max(this.#lastPlayedAt, playedAt);
    this.#recent.push([playedAt, meanSquare]);
  }

  /** AEC3 has to re-converge from `now` on (its reference was moved): guard as at a reply's start. */
  rearm(now: number): void {
    this.#rearmedAt = now;
  }

  /**
   * Whether the canceller's output at `now` (mean square per sample) is the echo of a reply's
   * first words, given the echo delay (`echoDelayMs`, the longest it may be when unknown).
   */
  shouldMute(now: number, outMeanSquare: number, echoDelayMs: number): boolean {
    // Far frames older than this can no longer be echoing.
    const oldest = now - echoDelayMs - 200;
    while (this.#recent.length > 0 && this.#recent[0]![0] < oldest) this.#recent.shift();
    const sinceEchoStarted = now - (this.#replyStartedAt + echoDelayMs);
    const guarded = (since: number) => since >= -100 && since <= this.#guardMs;
    if (!(guarded(sinceEchoStarted) || guarded(now - this.#rearmedAt)) || this.#recent.length === 0) return false;
    let loudest = 0;
    for (const [, e] of this.#recent) loudest = Math.max(loudest, e);
    if (outMeanSquare >= loudest * this.#margin) return false;
    this.mutedFrames++;
    return true;
  }
}
