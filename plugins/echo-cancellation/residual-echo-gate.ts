/** Echo return loss of a speakerphone is 10 dB or more; a caller speaking up is within a few dB of the agent. */
const DEFAULT_MARGIN_DB = 7;
/** Far frames can still be echoing this long after the echo delay (the delay moves as jitter buffers drain and refill). */
const DELAY_SLACK_MS = 300;

export interface ResidualEchoGateOptions {
  /** Canceller output this much quieter than the loudest far frame that could echo in it is taken for echo. */
  marginDb?: number;
}

/**
 * Mutes what AEC3 lets through of the agent's echo while the agent speaks: the suppressor a
 * speakerphone's own echo canceller runs after its filter. AEC3 alone leaks whenever the echo
 * delay moves (jitter buffers drain and refill between and during replies, a busy machine skews
 * the two streams) until it re-converges, which can take ~2 s: measured, leaked words were
 * transcribed ("what" from "once upon a"; a CI run had the agent cut off 9 s into a reply after
 * two false interruptions). A canceller output `marginDb` quieter than the loudest far frame that
 * could be echoing in it is silenced. A caller who speaks up is about as loud as the agent and
 * passes; the echo left over is at least the room's loss (10 dB or more) plus whatever AEC3
 * already removed below it. The margin stays under that loss: before AEC3 has converged (the
 * first reply of a call with a long echo delay) it removes nothing, and a 10 dB margin against
 * a 10 dB echo passed half the frames (CI: the echo of "once upon a" heard as "what"). Once the
 * agent's echo has died away nothing is muted.
 */
export class ResidualEchoGate {
  readonly #margin: number;
  /** Far frames played recently, oldest first: [playedAt, mean square per sample]. */
  #recent: [number, number][] = [];
  /** Near frames silenced so far. */
  mutedFrames = 0;

  constructor(opts: ResidualEchoGateOptions = {}) {
    this.#margin = 10 ** (-(opts.marginDb ?? DEFAULT_MARGIN_DB) / 10);
  }

  /** A far frame played at `playedAt`, at this mean square per sample. */
  farPlayed(playedAt: number, meanSquare: number): void {
    if (meanSquare > 0) this.#recent.push([playedAt, meanSquare]);
  }

  /**
   * Whether the canceller's output at `now` (mean square per sample) is the agent's echo, given
   * the echo delay (`echoDelayMs`, the longest it may be when unknown).
   */
  shouldMute(now: number, outMeanSquare: number, echoDelayMs: number): boolean {
    // Far frames older than this can no longer be echoing.
    const oldest = now - echoDelayMs - DELAY_SLACK_MS;
    while (this.#recent.length > 0 && this.#recent[0]![0] < oldest) this.#recent.shift();
    if (this.#recent.length === 0) return false;
    let loudest = 0;
    for (const [, e] of this.#recent) loudest = Math.max(loudest, e);
    if (outMeanSquare >= loudest * this.#margin) return false;
    this.mutedFrames++;
    return true;
  }
}
