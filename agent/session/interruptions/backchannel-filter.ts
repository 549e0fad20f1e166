import { TransformStream } from 'node:stream/web';
import { stt } from '@livekit/agents';
import { normalizeWords } from '../../../contracts/words.js';

/**
 * What a listener says to show they are following, not to take the turn, and what the recognizer
 * makes of a cough or a click ("a", "the", "ha"). Stop words like "no", "wait" or "stop" are absent
 * on purpose: they are interruptions.
 */
const BACKCHANNEL_WORDS = new Set([
  'uh',
  'huh',
  'uhhuh',
  'um',
  'umm',
  'hm',
  'hmm',
  'mm',
  'mmm',
  'mhm',
  'mmhmm',
  'ah',
  'oh',
  'ha',
  'yeah',
  'yep',
  'yes',
  'yup',
  'ok',
  'okay',
  'right',
  'sure',
  'alright',
  'cool',
  'nice',
  'i',
  'see',
  'got',
  'it',
  'a',
  'the',
]);
const MAX_BACKCHANNEL_WORDS = 3;
/**
 * A lone word over the agent is a backchannel unless it asks for the floor: recognizers turn a short
 * "uh-huh" into all sorts of words (measured with pocketsphinx: "and", "ahead", "huh").
 */
const TAKES_THE_FLOOR = new Set([
  'stop',
  'wait',
  'no',
  'nope',
  'hold',
  'pause',
  'sorry',
  'excuse',
  'hey',
  'hello',
  'what',
  'why',
  'how',
  'but',
  'actually',
  'listen',
]);

export function isBackchannel(text: string): boolean {
  const words = normalizeWords(text);
  if (words.length === 1) return !TAKES_THE_FLOOR.has(words[0]!);
  return words.length > 1 && words.length <= MAX_BACKCHANNEL_WORDS && words.every((w) => BACKCHANNEL_WORDS.has(w));
}

const TRANSCRIPTS = new Set([
  stt.SpeechEventType.INTERIM_TRANSCRIPT,
  stt.SpeechEventType.FINAL_TRANSCRIPT,
  stt.SpeechEventType.PREFLIGHT_TRANSCRIPT,
]);

/**
 * Drops backchannel transcripts while the agent holds the floor, so "uh-huh" neither confirms an
 * interruption nor starts a new user turn: the framework then treats the pause the sound caused as
 * a false interruption and resumes the reply where it stopped.
 */
export function backchannelFilter(
  agentHasTheFloor: () => boolean,
  onDropped: (text: string) => void,
): TransformStream<stt.SpeechEvent | string, stt.SpeechEvent | string> {
  return new TransformStream({
    transform(event, controller) {
      if (typeof event !== 'string' && TRANSCRIPTS.has(event.type)) {
        const text = event.alternatives?.[0]?.text ?? '';
        if (agentHasTheFloor() && isBackchannel(text)) {
          if (event.type === stt.SpeechEventType.FINAL_TRANSCRIPT) onDropped(text);
          return;
        }
      }
      controller.enqueue(event);
    },
  });
}
