/**
 * The prompt the text end-of-turn score reads: SmolLM2's chat format, the agent's last message and
 * the caller's words so far, the caller's message left open. No system message: SmolLM2's default
 * one ("You are a helpful AI assistant named SmolLM…") made the score separate finished and
 * unfinished turns worse (AUC 0.96 against 0.99 without, on 40 hand-written turns). Both messages
 * are written as a recognizer writes: lower case, no punctuation, as LiveKit's own text turn
 * detector does, so a punctuated agent message does not teach the model to expect a full stop.
 */
export function endOfTurnPrompt(agentText: string | undefined, words: string): string {
  const agent = agentText ? normalize(agentText) : '';
  return `${agent ? `<|im_start|>assistant\n${agent}<|im_end|>\n` : ''}<|im_start|>user\n${normalize(words)}`;
}

export function normalize(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s']/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}
