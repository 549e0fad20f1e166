/**
 * The local providers' transcription model for phone calls (harness/local-providers): its decoder is
 * primed with phone-band speech. The worker asks for it on a phone call with `local` STT.
 */
export const LOCAL_TELEPHONY_STT_MODEL = 'local-telephony';
