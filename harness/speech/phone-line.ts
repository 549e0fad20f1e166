/**
 * What a telephone network does to audio on its way: the phone band (about 300-3400 Hz), 8 kHz
 * sampling and G.711 µ-law coding. The phone-shaped caller sends and hears everything through one
 * of these, as a caller behind livekit-sip does; the local STT's telephony model is primed with speech
 * that went through one.
 */

const BIAS = 0x84;
const CLIP = 32635;

/** ITU-T G.711 µ-law: one byte a sample. */
export function muLawEncode(sample: number): number {
  const sign = sample < 0 ? 0x80 : 0;
  const magnitude = Math.min(CLIP, Math.abs(sample)) + BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (magnitude & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (magnitude >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

export function muLawDecode(byte: number): number {
  const u = ~byte & 0xff;
  const exponent = (u >> 4) & 0x07;
  const magnitude = ((((u & 0x0f) << 3) + BIAS) << exponent) - BIAS;
  return u & 0x80 ? -magnitude : magnitude;
}

const LINE_RATE = 8000;
/** Taps of the anti-alias / interpolation filter at the caller's rate. */
const FIR_TAPS = 95;

/** Windowed-sinc low-pass (Blackman), unity gain at DC. */
function lowPass(cutoffHz: number, rate: number, taps: number): Float64Array {
  const h = new Float64Array(taps);
  const m = (taps - 1) / 2;
  let sum = 0;
  for (let n = 0; n < taps; n++) {
    const x = n - m;
    const sinc = x === 0 ? 2 * Math.PI * (cutoffHz / rate) : Math.sin((2 * Math.PI * cutoffHz * x) / rate) / x;
    const w = 0.42 - 0.5 * Math.cos((2 * Math.PI * n) / (taps - 1)) + 0.08 * Math.cos((4 * Math.PI * n) / (taps - 1));
    h[n] = sinc * w;
    sum += h[n]!;
  }
  for (let n = 0; n < taps; n++) h[n]! /= sum;
  return h;
}

/** A second-order high-pass (RBJ biquad), run sample by sample with its state. */
class HighPass {
  readonly #b: [number, number, number];
  readonly #a: [number, number];
  #x1 = 0;
  #x2 = 0;
  #y1 = 0;
  #y2 = 0;

  constructor(cutoffHz: number, rate: number) {
    const w = (2 * Math.PI * cutoffHz) / rate;
    const alpha = Math.sin(w) / (2 * Math.SQRT1_2);
    const a0 = 1 + alpha;
    const c = Math.cos(w);
    this.#b = [(1 + c) / 2 / a0, -(1 + c) / a0, (1 + c) / 2 / a0];
    this.#a = [(-2 * c) / a0, (1 - alpha) / a0];
  }

  step(x: number): number {
    const [b0, b1, b2] = this.#b;
    const [a1, a2] = this.#a;
    const y = b0 * x + b1 * this.#x1 + b2 * this.#x2 - a1 * this.#y1 - a2 * this.#y2;
    this.#x2 = this.#x1;
    this.#x1 = x;
    this.#y2 = this.#y1;
    this.#y1 = y;
    return y;
  }
}

/** One direction of a phone line, fed in frames at `rate` (a multiple of 8 kHz); its delay is the filters', ~2 ms. */
export class PhoneLine {
  readonly #factor: number;
  readonly #fir: Float64Array;
  /** Recent input at the caller's rate, for the anti-alias filter. */
  readonly #down: Float64Array;
  /** Recent zero-stuffed line samples at the caller's rate, for the interpolation filter. */
  readonly #up: Float64Array;
  #downPos = 0;
  #upPos = 0;
  readonly #band = new HighPass(300, LINE_RATE);

  constructor(readonly rate: number) {
    if (rate % LINE_RATE !== 0) throw new RangeError(`PhoneLine: rate must be a multiple of ${LINE_RATE} Hz, got ${rate}`);
    this.#factor = rate / LINE_RATE;
    this.#fir = lowPass(3400, rate, FIR_TAPS);
    this.#down = new Float64Array(FIR_TAPS);
    this.#up = new Float64Array(FIR_TAPS);
  }

  /** A frame through the line: its length must be a multiple of `rate / 8000`. */
  process(frame: Int16Array): Int16Array {
    if (frame.length % this.#factor !== 0)
      throw new RangeError(`PhoneLine: a frame must be a multiple of ${this.#factor} samples, got ${frame.length}`);
    const out = new Int16Array(frame.length);
    for (let i = 0; i < frame.length; i++) {
      this.#down[this.#downPos] = frame[i]!;
      this.#downPos = (this.#downPos + 1) % FIR_TAPS;
      // One line sample every `factor` input samples: band-limit, code, filter the band's low end.
      let lineSample = 0;
      if (i % this.#factor === this.#factor - 1) {
        const decoded = muLawDecode(muLawEncode(Math.round(this.#convolve(this.#down, this.#downPos))));
        lineSample = this.#band.step(decoded) * this.#factor;
      }
      this.#up[this.#upPos] = lineSample;
      this.#upPos = (this.#upPos + 1) % FIR_TAPS;
      out[i] = Math.max(-32768, Math.min(32767, Math.round(this.#convolve(this.#up, this.#upPos))));
    }
    return out;
  }

  /** The filter over a ring whose oldest sample is at `pos`. */
  #convolve(ring: Float64Array, pos: number): number {
    let acc = 0;
    for (let k = 0; k < FIR_TAPS; k++) acc += this.#fir[k]! * ring[(pos + k) % FIR_TAPS]!;
    return acc;
  }
}

/** Whole audio at `rate` through a fresh line, 10 ms at a time; a trailing part-frame is dropped. */
export function throughPhoneLine(pcm: Int16Array, rate: number): Int16Array {
  const line = new PhoneLine(rate);
  const frame = rate / 100;
  const out = new Int16Array(pcm.length - (pcm.length % frame));
  for (let i = 0; i + frame <= pcm.length; i += frame) out.set(line.process(pcm.subarray(i, i + frame)), i);
  return out;
}
