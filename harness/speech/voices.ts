/**
 * The agent's voice in the local TTS: of flite's voices, the one pocketsphinx recognizes best
 * (word overlap 1.0, against 0.96 for slt), so what a simulated caller hears is checked reliably.
 */
export const AGENT_VOICE = 'rms';

/** The simulated callers' voice: another speaker than the agent, as on a real call. */
export const CALLER_VOICE = 'slt';

/**
 * The phone-shaped caller's voice: through a phone line the offline recognizer hears awb best of
 * flite's voices (0.7 of a first utterance's words, slt 0.4-0.7: see recognizer-primer.ts).
 */
export const PHONE_CALLER_VOICE = 'awb';
