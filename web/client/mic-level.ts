/** The quietest level the meter shows, in dB below full scale; sound meters read in dB because raw RMS of speech sits near zero. */
const FLOOR_DB = -60;
/** How much of the last level is kept each frame, so that the needle falls back smoothly enough to follow. */
const DECAY = 0.85;

/** Drives a `<meter>` from a microphone track's RMS level. */
export class MicLevelMeter {
  readonly #meter: HTMLMeterElement;
  #context: AudioContext | undefined;
  #stopCurrent: (() => void) | undefined;

  constructor(meter: HTMLMeterElement) {
    this.#meter = meter;
  }

  /** Called in the click that starts a call: browsers only let Web Audio start in a user gesture. */
  prepare(): void {
    this.#audioContext()
      .resume()
      .catch(() => undefined);
  }

  start(track: MediaStreamTrack): void {
    this.stop();
    const context = this.#audioContext();
    const source = context.createMediaStreamSource(new MediaStream([track]));
    const analyser = context.createAnalyser();
    analyser.fftSize = 1024;
    source.connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    let frame = 0;
    const update = (): void => {
      analyser.getFloatTimeDomainData(samples);
      this.#meter.value = Math.max(levelOf(samples), this.#meter.value * DECAY);
      frame = requestAnimationFrame(update);
    };
    frame = requestAnimationFrame(update);
    this.#stopCurrent = () => {
      cancelAnimationFrame(frame);
      source.disconnect();
      this.#meter.value = 0;
    };
  }

  stop(): void {
    this.#stopCurrent?.();
    this.#stopCurrent = undefined;
  }

  #audioContext(): AudioContext {
    return (this.#context ??= new AudioContext());
  }
}

/** The RMS of the samples on the meter's 0..1 dB scale. */
function levelOf(samples: Float32Array): number {
  let sumOfSquares = 0;
  for (const sample of samples) sumOfSquares += sample * sample;
  const db = 20 * Math.log10(Math.sqrt(sumOfSquares / samples.length));
  return Math.min(1, Math.max(0, 1 - db / FLOOR_DB));
}
