import type { TextStreamReader } from 'livekit-client';

export type Speaker = 'user' | 'agent';

/** The text stream topic and attributes with which the agent framework publishes transcriptions. */
export const TRANSCRIPTION_TOPIC = 'lk.transcription';
const SEGMENT_ID_ATTRIBUTE = 'lk.segment_id';
const FINAL_ATTRIBUTE = 'lk.transcription_final';

/** The conversation as chat bubbles: one per transcription segment, updated as its text arrives. */
export class Transcript {
  readonly #list: HTMLOListElement;
  readonly #segments = new Map<string, HTMLLIElement>();

  constructor(list: HTMLOListElement) {
    this.#list = list;
  }

  clear(): void {
    this.#segments.clear();
    this.#list.replaceChildren();
  }

  /** Shows one transcription stream; resolves when it ends. */
  async read(reader: TextStreamReader, speaker: Speaker): Promise<void> {
    const attributes = reader.info.attributes ?? {};
    const segment = this.#segment(attributes[SEGMENT_ID_ATTRIBUTE] ?? reader.info.id, speaker);
    try {
      if (speaker === 'agent') {
        // The agent's reply comes word by word as it is spoken, each chunk adding to the segment. The
        // stream was opened saying "not final", and its end is what says the segment is complete.
        for await (const words of reader) this.#show(segment, (segment.textContent ?? '') + words);
        segment.dataset.final = 'true';
      } else {
        // Each stream of the user's speech carries the segment's whole text so far.
        this.#show(segment, await reader.readAll());
        segment.dataset.final = String(attributes[FINAL_ATTRIBUTE] === 'true');
      }
    } catch {
      // The sender left mid-stream: what arrived stays on the page.
    }
  }

  #segment(id: string, speaker: Speaker): HTMLLIElement {
    let segment = this.#segments.get(id);
    if (!segment) {
      segment = document.createElement('li');
      segment.className = 'turn';
      segment.dataset.speaker = speaker;
      segment.dataset.final = 'false';
      this.#segments.set(id, segment);
      this.#list.append(segment);
    }
    return segment;
  }

  #show(segment: HTMLLIElement, text: string): void {
    segment.textContent = text;
    this.#list.scrollTop = this.#list.scrollHeight;
  }
}
