import type { ReadableStream } from 'node:stream/web';
import type { tts } from '@livekit/agents';
import { endsUnfinished } from '../turn-taking/endpointing-policy.js';

/** The phrase so far ends a clause (the next chunk starts a new word, so "4.5" is not one). */
const CLAUSE_END = /[,;:.!?]$/;
/** A chunk that ends its sentence: the sentence goes out whole with it, no sooner for a flush before it. */
const ENDS_SENTENCE = /[.!?]["')\]]*\s*$/;

const countWords = (text: string) => text.split(/\s+/).filter(Boolean).length;

/**
 * Feeds a reply's text to a streaming TTS and flushes once, at the end of its first phrase: the
 * first clause of two words or more, or the first `minWords` words or more if no clause ends sooner,
 * not ending where a speaker goes on ("and", "the": endsUnfinished) nor one word before the
 * sentence ends anyway (a break there costs prosody and gains nothing). A TTS
 * plugin buffers text until it has a whole sentence and the start of the next (the Cartesia
 * plugin's sentence tokenizer), so the reply's first audio waited for its first sentence to be
 * generated; a flush sends what it has within the same context (`continue: true`), where the
 * provider keeps the prosody running, and the rest is tokenized into sentences as before.
 */
export async function feedWithFirstPhraseFlush(
  text: ReadableStream<string>,
  stream: tts.SynthesizeStream,
  minWords: number,
): Promise<void> {
  let phrase = '';
  let flushed = false;
  for await (const chunk of text) {
    if (!flushed && (/^\s/.test(chunk) || /\s$/.test(phrase))) {
      const words = countWords(phrase);
      const longEnough = words >= minWords && !endsUnfinished(phrase) && !ENDS_SENTENCE.test(chunk);
      if (longEnough || (words >= 2 && CLAUSE_END.test(phrase.trimEnd()))) {
        stream.flush();
        flushed = true;
      }
    }
    stream.pushText(chunk);
    if (!flushed) phrase += chunk;
  }
  stream.endInput();
}
