import { TransformStream } from 'node:stream/web';
import { stt } from '@livekit/agents';

/**
 * Whether the STT owes final transcripts: it heard speech (its start of speech, or the agent's commit
 * of an utterance when the agent ends them: `committed()`) that it has not finished transcribing
 * (the final transcript, or the usage report a streaming STT sends for every utterance it finishes,
 * words or none: the OpenAI plugin sends no final for an empty one). Counted, because the next
 * utterance can start before the last one's final comes.
 */
export class PendingTranscripts {
  #owed = 0;
  /** The last final, whose usage report must not count its utterance a second time. */
  #lastFinal?: { requestId?: string };
  readonly #listeners = new Set<(pending: boolean) => void>();

  /** Calls `listener` on each change, for as long as the call lasts. */
  onChange(listener: (pending: boolean) => void): void {
    this.#listeners.add(listener);
  }

  get pending(): boolean {
    return this.#owed > 0;
  }

  /** Passes the STT's events through, counting. */
  watch(): TransformStream<stt.SpeechEvent | string, stt.SpeechEvent | string> {
    return new TransformStream({
      transform: (event, controller) => {
        if (typeof event !== 'string') this.#count(event);
        controller.enqueue(event);
      },
    });
  }

  /** The agent committed an utterance to the STT (its VAD heard the caller stop): its transcript is owed from now. */
  committed(): void {
    this.#set(this.#owed + 1);
  }

  /**
   * The turn was committed: what it still owed comes late or never (an utterance lost with a
   * provider stream), and must not hold the next turn.
   */
  reset(): void {
    this.#set(0);
  }

  #count(event: stt.SpeechEvent): void {
    if (event.type === stt.SpeechEventType.START_OF_SPEECH) {
      this.#set(this.#owed + 1);
    } else if (event.type === stt.SpeechEventType.FINAL_TRANSCRIPT) {
      this.#lastFinal = { requestId: event.requestId };
      this.#set(this.#owed - 1);
    } else if (event.type === stt.SpeechEventType.RECOGNITION_USAGE) {
      if (this.#lastFinal === undefined || this.#lastFinal.requestId !== event.requestId) this.#set(this.#owed - 1);
      this.#lastFinal = undefined;
    }
  }

  #set(owed: number): void {
    const was = this.pending;
    this.#owed = Math.max(0, owed);
    if (this.pending === was) return;
    for (const listener of this.#listeners) listener(this.pending);
  }
}
