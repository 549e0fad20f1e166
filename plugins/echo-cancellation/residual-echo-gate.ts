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
 * already removed below it. Once the agent's echo has died away nothing is muted.
 */
export class ResidualEchoGate {
  readonly #margin: number;
  /** Far frames played recently, oldest first: [playedAt, mean square per sample]. */
  #recent: [number, number][] = [];
  /** Near frames silenced so far. */
  mutedFrames = 0;

  constructor(opts: ResidualEchoGateOptions = {}) {
    this.#margin = 10 ** (-(opts.marginDb ?? 10) / 10);
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
    const oldest = now - echoDelayMs - 200;
    while (this.#recent.length > 0 && this.#recent[0]![0] < oldest) this.#recent.shift();
    if (this.#recent.length === 0) return false;
    let loudest = 0;
    for (const [, e] of this.#recent) loudest = Math.max(loudest, e);
    if (outMeanSquare >= loudest * this.#margin) return false;
    this.mutedFrames++;
    return true;
  }
}
