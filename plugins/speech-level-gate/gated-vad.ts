import { VAD, type VADEvent, VADEventType, VADStream } from '@livekit/agents';
import { AudioFrame } from '@livekit/rtc-node';
import { AudioHistory } from './audio-history.js';
import { DEFAULT_SPEECH_LEVEL_GATE, SpeechLevelGate, type SpeechLevelGateOptions } from './speech-level-gate.js';

export type GateSettings = Omit<SpeechLevelGateOptions, 'sampleRate'>;

/**
 * How much of the caller's own audio a stream keeps to hand back in events: Silero's longest speech
 * buffer (maxBufferedSpeech, 60 s) and its prefix padding. 3 MB at the session's 24 kHz.
 */
const HISTORY_SECONDS = 62;

/**
 * A VAD that hears the caller through a SpeechLevelGate: audio well below the caller's own speech
 * level reaches the inner VAD (Silero) as silence, so a room full of other voices neither keeps the
 * caller's turn open nor starts one. The events it passes on carry the caller's audio as it came, not
 * as the gate left it: agents-js's StreamAdapter sends a non-streaming STT the frames of the VAD's
 * end-of-speech event, and gated frames lose the words' quiet parts.
 */
export class SpeechLevelGatedVAD extends VAD {
  readonly label: string;

  constructor(
    private readonly inner: VAD,
    private readonly settings: GateSettings = DEFAULT_SPEECH_LEVEL_GATE,
  ) {
    super(inner.capabilities);
    this.label = `SpeechLevelGated<${inner.label}>`;
  }

  stream(): VADStream {
    return new GatedVADStream(this, this.inner.stream(), this.settings);
  }
}

/**
 * Feeds the inner VAD's stream with gated frames and passes its events on, their frames swapped for
 * the same stretch of the caller's own audio. A gate is made at the first frame, at its sample rate:
 * one stream is one caller, whose level the gate learns.
 *
 * Where a stretch lies comes from Silero's stream: each inference event's frames are the input it
 * consumed, in order, and a speech event's frames end where the last inference event's did. A flush
 * drops what Silero had not consumed and starts its sample count again: the next stretch starts where
 * the input stood at the flush.
 */
class GatedVADStream extends VADStream {
  #gate?: SpeechLevelGate;
  #history?: AudioHistory;
  /** The caller's samples the inner VAD has consumed (the end of its last inference event's frames). */
  #consumed = 0;
  /** Where the input stood at each flush the inner VAD has not yet shown it took. */
  readonly #flushedAt: number[] = [];
  #lastSamplesIndex = 0;

  constructor(
    vad: VAD,
    private readonly inner: VADStream,
    private readonly settings: GateSettings,
  ) {
    super(vad);
    void this.#feed();
    void this.#forward();
  }

  async #feed(): Promise<void> {
    try {
      for (;;) {
        const { done, value: item } = await this.inputReader.read();
        if (done) break;
        if (item === GatedVADStream.FLUSH_SENTINEL) {
          this.#flushedAt.push(this.#history?.end ?? 0);
          this.inner.flush();
          continue;
        }
        const frame = item as AudioFrame;
        this.#gate ??= new SpeechLevelGate({ sampleRate: frame.sampleRate, ...this.settings });
        this.#history ??= new AudioHistory(HISTORY_SECONDS * frame.sampleRate);
        this.#history.push(frame.data);
        this.inner.pushFrame(new AudioFrame(this.#gate.process(frame.data), frame.sampleRate, frame.channels, frame.samplesPerChannel));
      }
    } catch {
      // the inner stream closed with this one
    }
  }

  async #forward(): Promise<void> {
    for await (const event of this.inner as AsyncIterable<VADEvent>) if (!this.sendVADEvent(this.#withCallerAudio(event))) break;
  }

  #withCallerAudio(event: VADEvent): VADEvent {
    if (event.samplesIndex < this.#lastSamplesIndex && this.#flushedAt.length) this.#consumed = this.#flushedAt.shift()!;
    this.#lastSamplesIndex = event.samplesIndex;
    const history = this.#history;
    const [first] = event.frames;
    if (!history || !first) return event;
    const length = event.frames.reduce((n, f) => n + f.samplesPerChannel, 0);
    if (event.type === VADEventType.INFERENCE_DONE) this.#consumed += length;
    const audio = history.slice(this.#consumed, length);
    return { ...event, frames: [new AudioFrame(audio, first.sampleRate, 1, audio.length)] };
  }

  override close(): void {
    this.inner.close();
    super.close();
  }
}
