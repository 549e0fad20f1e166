/** A person calls a few times a minute at most. */
export const DEFAULT_CALLS_PER_MINUTE = 6;
/** A person places a call and, if it fails, one more at once: more from one address in a burst is a script. */
export const CALL_BURST = 2;
/** Addresses remembered at most; the least recently seen is forgotten first (a flood of addresses cannot grow the table). */
const MAX_ADDRESSES = 10_000;

/** What one request may do: go ahead, or wait this long. */
export type RateDecision = { ok: true } | { ok: false; retryAfterMs: number };

/**
 * Call requests per client address, as a token bucket: `CALL_BURST` at once, then `perMinute`
 * a minute. Pure: the time comes in with each request.
 */
export class AddressRateLimit {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #refillMs: number;

  constructor(perMinute: number) {
    this.#refillMs = 60_000 / perMinute;
  }

  take(address: string, now: number): RateDecision {
    const last = this.#buckets.get(address);
    const tokens = last ? Math.min(CALL_BURST, last.tokens + (now - last.at) / this.#refillMs) : CALL_BURST;
    this.#buckets.delete(address); // re-inserted last: the map's order is the order addresses were seen
    if (tokens < 1) {
      this.#buckets.set(address, { tokens, at: now });
      return { ok: false, retryAfterMs: Math.ceil((1 - tokens) * this.#refillMs) };
    }
    this.#buckets.set(address, { tokens: tokens - 1, at: now });
    if (this.#buckets.size > MAX_ADDRESSES) this.#buckets.delete(this.#buckets.keys().next().value!);
    return { ok: true };
  }
}
