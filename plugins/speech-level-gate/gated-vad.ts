import { VAD, type VADEvent, VADStream } from '@livekit/agents';
import { AudioFrame } from '@livekit/rtc-node';
import { DEFAULT_SPEECH_LEVEL_GATE, SpeechLevelGate, type SpeechLevelGateOptions } from './speech-level-gate.js';

export type GateSettings = Omit<SpeechLevelGateOptions, 'sampleRate'>;

/**
 * A VAD that hears the caller through a SpeechLevelGate: audio well below the caller's own speech
 * level reaches the inner VAD (Silero) as silence, so a room full of other voices neither keeps the
 * caller's turn open nor starts one. A streaming STT gets the caller's audio as it came; a
 * non-streaming one does not: agents-js's StreamAdapter sends it the speech frames of the VAD's
 * events, here gated ones (word overlap 0 in the HTTP transcription tests with the gate on). Until
 * the events carry the caller's own audio, the gate is for streaming STTs only (off by default).
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
 * Feeds the inner VAD's stream with gated frames and passes its events on. A gate is made at the
 * first frame, at its sample rate: one stream is one caller, whose level the gate learns.
 */
class GatedVADStream extends VADStream {
  #gate?: SpeechLevelGate;

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
          this.inner.flush();
          continue;
        }
        const frame = item as AudioFrame;
        this.#gate ??= new SpeechLevelGate({ sampleRate: frame.sampleRate, ...this.settings });
        this.inner.pushFrame(new AudioFrame(this.#gate.process(frame.data), frame.sampleRate, frame.channels, frame.samplesPerChannel));
      }
    } catch {
      // the inner stream closed with this one
    }
  }

  async #forward(): Promise<void> {
    for await (const event of this.inner as AsyncIterable<VADEvent>) if (!this.sendVADEvent(event)) break;
  }

  override close(): void {
    this.inner.close();
    super.close();
  }
}
