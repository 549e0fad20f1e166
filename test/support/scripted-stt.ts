import { type APIConnectOptions, stt } from '@livekit/agents';

/** A provider stream whose events the test decides. */
class ScriptedSpeechStream extends stt.SpeechStream {
  label = 'scripted-stt.stream';
  #end!: () => void;
  readonly #ended = new Promise<void>((resolve) => (this.#end = resolve));

  send(event: stt.SpeechEvent): void {
    this.queue.put(event);
  }

  /** The provider ends the stream, as when its socket closes. */
  endStream(): void {
    this.#end();
  }

  protected async run(): Promise<void> {
    const drained = (async () => {
      for await (const _ of this.input) {
        // the audio is not listened to: the script says what was heard
      }
    })();
    await Promise.race([drained, this.#ended]);
  }
}

const transcript = (type: stt.SpeechEventType, text: string): stt.SpeechEvent => ({
  type,
  alternatives: [{ text, language: 'en' as never, startTime: 0, endTime: 0, confidence: 1 }],
});

/**
 * The STT at the provider boundary: it "hears" what the test says, with the event sequence of the
 * realtime transcription the agent uses (speech starts; as it ends, the interim, the end of speech,
 * then the final transcript).
 */
export class ScriptedSTT extends stt.STT {
  label = 'scripted-stt';
  #stream?: ScriptedSpeechStream;
  /** Streams the agent opened, reconnections included. */
  streamsOpened = 0;

  constructor() {
    super({ streaming: true, interimResults: true });
  }

  protected _recognize(): Promise<stt.SpeechEvent> {
    throw new Error('ScriptedSTT streams only');
  }

  stream(options: { connOptions?: APIConnectOptions } = {}): stt.SpeechStream {
    this.#stream = new ScriptedSpeechStream(this, undefined, options.connOptions);
    this.streamsOpened++;
    return this.#stream;
  }

  /**
   * The caller says `text`, for as long as `during` takes (e.g. the microphone playing it; at once
   * if not given); `interim` is what the STT had when the utterance ended, and the final follows
   * `finalAfterMs` later, dated to the end of speech (the turn's silence counts from there).
   * Resolves when the final is sent.
   */
  async utter(
    text: string,
    opts: { interim?: string; finalAfterMs?: number; during?: Promise<unknown> } = {},
  ): Promise<{ finalAt: number }> {
    const stream = this.#current();
    stream.send({ type: stt.SpeechEventType.START_OF_SPEECH });
    await opts.during;
    stream.send(transcript(stt.SpeechEventType.INTERIM_TRANSCRIPT, opts.interim ?? text));
    const speechEndTime = Date.now();
    stream.send({ type: stt.SpeechEventType.END_OF_SPEECH });
    await new Promise((r) => setTimeout(r, opts.finalAfterMs ?? 50));
    const finalAt = Date.now();
    stream.send({ ...transcript(stt.SpeechEventType.FINAL_TRANSCRIPT, text), speechEndTime });
    return { finalAt };
  }

  /** The caller starts speaking, and the provider's stream ends before it transcribed anything. */
  loseUtterance(): void {
    const stream = this.#current();
    stream.send({ type: stt.SpeechEventType.START_OF_SPEECH });
    stream.endStream();
  }

  #current(): ScriptedSpeechStream {
    if (!this.#stream) throw new Error('the agent has not opened an STT stream yet');
    return this.#stream;
  }
}
