import { TransformStream } from 'node:stream/web';
import { stt } from '@livekit/agents';

/**
 * Turns the latest interim transcript into a preflight transcript the moment the STT reports the end
 * of an utterance. The framework starts preemptive generation on a preflight transcript, so the LLM
 * starts while the provider is still finishing the final one (measured with the `typical` profile's
 * +150 ms final: see bench/); when the final differs, the framework regenerates on it.
 */
export function preflightOnEndOfUtterance(): TransformStream<stt.SpeechEvent | string, stt.SpeechEvent | string> {
  let interim: stt.SpeechData | undefined;
  return new TransformStream({
    transform(event, controller) {
      if (typeof event !== 'string') {
        if (event.type === stt.SpeechEventType.INTERIM_TRANSCRIPT) interim = event.alternatives?.[0];
        else if (event.type === stt.SpeechEventType.FINAL_TRANSCRIPT || event.type === stt.SpeechEventType.START_OF_SPEECH)
          interim = undefined;
        else if (event.type === stt.SpeechEventType.END_OF_SPEECH && interim?.text.trim()) {
          controller.enqueue({ type: stt.SpeechEventType.PREFLIGHT_TRANSCRIPT, alternatives: [interim] });
          interim = undefined;
        }
      }
      controller.enqueue(event);
    },
  });
}
