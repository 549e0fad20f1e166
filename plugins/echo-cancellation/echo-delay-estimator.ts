export interface EchoDelayEstimatorOptions {
  /** Resolution of the energy envelopes, in ms. Speech envelopes correlate over ~50 ms, so 20 ms is plenty. */
  slotMs?: number;
  /** Span of the envelopes compared, in ms. */
  windowMs?: number;
  /** Longest echo delay looked for, in ms. */
  maxDelayMs?: number;
  /** Envelope correlation below which no echo is taken to be present (a caller with a headset). */
  minCorrelation?: number;
  /** Share of the window in which the far end must play for an estimate to be made. */
  minFarActivity?: number;
}

export interface EchoDelayEstimate {
  delayMs: number;
  correlation: number;
}

/**
 * Estimates how long after the agent's playout its echo reaches the caller's audio here, by
 * correlating the two streams' energy envelopes on one wall clock. WebRTC's AEC3 finds the fine
 * alignment itself but only within ~500 ms (measured: 63 dB of echo removed at 500 ms of delay,
 * 3 dB at 600 ms), and a call's echo loop (playout queue, network both ways, both jitter buffers,
 * a phone network behind SIP) can be longer: the far end is then delayed by this estimate before
 * the canceller sees it.
 *
 * Feed it both streams as they happen (`addFar` at each far frame's playout time, `addNear` at each
 * near frame's arrival); `update` re-estimates and returns the delay once two estimates in a row
 * agree, so a single spurious peak (double talk, a burst of noise) does not move it.
 */
export class EchoDelayEstimator {
  readonly slotMs: number;
  readonly #windowSlots: number;
  readonly #maxLagSlots: number;
  readonly #minCorrelation: number;
  readonly #minFarActivity: number;
  readonly #far: Float64Array;
  readonly #near: Float64Array;
  /** Newest slot the rings hold; older slots are overwritten as time moves on. */
  #headSlot?: number;
  #candidate?: EchoDelayEstimate;
  #accepted?: EchoDelayEstimate;

  constructor(opts: EchoDelayEstimatorOptions = {}) {
    this.slotMs = opts.slotMs ?? 20;
    this.#windowSlots = Math.round((opts.windowMs ?? 4000) / this.slotMs);
    this.#maxLagSlots = Math.round((opts.maxDelayMs ?? 1500) / this.slotMs);
    this.#minCorrelation = opts.minCorrelation ?? 0.5;
    this.#minFarActivity = opts.minFarActivity ?? 0.3;
    // One slot of guard: the newest slot is still filling.
    const size = this.#windowSlots + this.#maxLagSlots + 2;
    this.#far = new Float64Array(size);
    this.#near = new Float64Array(size);
  }

  /** The delay in use: the last estimate confirmed, if any. */
  get current(): EchoDelayEstimate | undefined {
    return this.#accepted;
  }

  /** Energy (sum of squared samples) of far-end audio played out at `atMs`. */
  addFar(atMs: number, energy: number): void {
    this.#add(this.#far, atMs, energy);
  }

  /** Energy of near-end audio (before cancellation) that arrived at `atMs`. */
  addNear(atMs: number, energy: number): void {
    this.#add(this.#near, atMs, energy);
  }

  /** Estimates the delay from the envelopes up to `nowMs`; returns the confirmed delay, which changes only when two estimates agree. */
  update(nowMs: number): EchoDelayEstimate | undefined {
    this.#advance(Math.floor(nowMs / this.slotMs));
    const estimate = this.#estimate();
    if (!estimate) return this.#accepted;
    const agrees = this.#candidate && Math.abs(this.#candidate.delayMs - estimate.delayMs) <= 2 * this.slotMs;
    if (agrees) this.#accepted = estimate;
    this.#candidate = estimate;
    return this.#accepted;
  }

  #estimate(): EchoDelayEstimate | undefined {
    if (this.#headSlot === undefined) return undefined;
    const size = this.#far.length;
    const w = this.#windowSlots;
    // Near window: the w slots before the (still filling) head slot.
    const nearEnd = this.#headSlot - 1;
    const near = new Float64Array(w);
    for (let i = 0; i < w; i++) near[i] = Math.sqrt(this.#near[mod(nearEnd - w + 1 + i, size)]!);
    const far = new Float64Array(w + this.#maxLagSlots);
    for (let i = 0; i < far.length; i++) far[i] = Math.sqrt(this.#far[mod(nearEnd - far.length + 1 + i, size)]!);
    // far[j] with j = lagged index: near[i] pairs with far[i + maxLag - lag].
    let best: EchoDelayEstimate | undefined;
    for (let lag = 0; lag <= this.#maxLagSlots; lag++) {
      const segment = far.subarray(this.#maxLagSlots - lag, this.#maxLagSlots - lag + w);
      if (activity(segment) < this.#minFarActivity) continue;
      const r = pearson(near, segment);
      if (!best || r > best.correlation) best = { delayMs: lag * this.slotMs, correlation: r };
    }
    return best && best.correlation >= this.#minCorrelation ? best : undefined;
  }

  #add(ring: Float64Array, atMs: number, energy: number): void {
    const slot = Math.floor(atMs / this.slotMs);
    this.#advance(slot);
    // Older than the rings reach: nothing to correlate it with any more.
    if (slot <= this.#headSlot! - ring.length) return;
    ring[mod(slot, ring.length)]! += energy;
  }

  /** Moves the head to `slot`, clearing the slots it passes (no audio then). */
  #advance(slot: number): void {
    if (this.#headSlot === undefined) {
      this.#headSlot = slot;
      return;
    }
    const size = this.#far.length;
    for (let s = Math.max(this.#headSlot + 1, slot - size + 1); s <= slot; s++) {
      this.#far[mod(s, size)] = 0;
      this.#near[mod(s, size)] = 0;
    }
    this.#headSlot = Math.max(this.#headSlot, slot);
  }
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}

/** Share of slots with any audio in them (the far end is exactly silent between replies). */
function activity(x: Float64Array): number {
  let active = 0;
  for (let i = 0; i < x.length; i++) if (x[i]! > 0) active++;
  return active / x.length;
}

function pearson(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < n; i++) {
    sa += a[i]!;
    sb += b[i]!;
  }
  const ma = sa / n;
  const mb = sb / n;
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    cov += da * db;
    va += da * da;
    vb += db * db;
  }
  return va > 0 && vb > 0 ? cov / Math.sqrt(va * vb) : 0;
}
