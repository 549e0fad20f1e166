import { DEFAULT_RESPONDER_SCRIPT, loadResponderScript, ScriptedResponder } from '../../harness/local-providers/index.js';

const responder = new ScriptedResponder(loadResponderScript(DEFAULT_RESPONDER_SCRIPT));

/** What the local LLM answers to `question` (harness/local-providers/responses.yaml). */
export function scriptedAnswer(question: string): string {
  return responder.answer(question);
}
