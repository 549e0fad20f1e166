import { z } from 'zod';
import { type PcmAudio, readWav } from '../speech/audio.js';
import { HttpError } from './http-util.js';
import { WAV_UPLOAD_LIMITS } from './limits.js';

const { minSampleRate, maxSampleRate, maxChannels, maxSeconds } = WAV_UPLOAD_LIMITS;
const rateRange = `sample rate must be ${minSampleRate} to ${maxSampleRate} Hz`;
const channelRange = `channels must be 1 to ${maxChannels}`;

/** What the header of a transcribable WAV may say; readWav itself insists on 16-bit PCM. */
const wavFormatSchema = z.object({
  sampleRate: z.number().int().min(minSampleRate, rateRange).max(maxSampleRate, rateRange),
  channels: z.number().int().min(1, channelRange).max(maxChannels, channelRange),
});

/** An uploaded WAV's audio, or a 400 saying why it cannot be transcribed. */
export function decodeWavUpload(file: Buffer): PcmAudio {
  let audio: PcmAudio;
  try {
    audio = readWav(file);
  } catch (e) {
    throw new HttpError(400, `file is not a 16-bit PCM WAV: ${(e as Error).message}`);
  }
  const format = wavFormatSchema.safeParse(audio);
  if (!format.success) {
    throw new HttpError(400, `unsupported WAV (${audio.sampleRate} Hz, ${audio.channels} channels): ${format.error.issues[0]?.message}`);
  }
  const seconds = audio.pcm.length / audio.channels / audio.sampleRate;
  if (seconds > maxSeconds) throw new HttpError(400, `audio is ${Math.round(seconds)} s long: at most ${maxSeconds} s can be transcribed`);
  return audio;
}
