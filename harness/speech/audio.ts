/** 16-bit PCM helpers shared by the speech engines, the local providers, the simulated caller and the benchmarks. */

export interface PcmAudio {
  pcm: Int16Array;
  sampleRate: number;
  channels: number;
}

/** Reads a RIFF/WAVE file holding 16-bit PCM (the format the OpenAI plugin uploads and flite writes). */
export function readWav(data: Buffer): PcmAudio {
  if (data.length < 12 || data.toString('ascii', 0, 4) !== 'RIFF' || data.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error('not a RIFF/WAVE file');
  }
  let offset = 12;
  let format: { channels: number; sampleRate: number; bits: number; code: number } | undefined;
  while (offset + 8 <= data.length) {
    const id = data.toString('ascii', offset, offset + 4);
    const size = data.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      format = {
        code: data.readUInt16LE(body),
        channels: data.readUInt16LE(body + 2),
        sampleRate: data.readUInt32LE(body + 4),
        bits: data.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      if (!format) throw new Error('data chunk before fmt chunk');
      if (format.code !== 1 || format.bits !== 16) throw new Error(`unsupported encoding (format ${format.code}, ${format.bits} bits)`);
      // Streamed WAVs may carry a size of 0 or 0xFFFFFFFF: take what is there.
      const end = Math.min(data.length, size === 0 || size === 0xffffffff ? data.length : body + size);
      const bytes = data.subarray(body, end - ((end - body) % 2));
      const pcm = new Int16Array(bytes.length / 2);
      for (let i = 0; i < pcm.length; i++) pcm[i] = bytes.readInt16LE(i * 2);
      return { pcm, sampleRate: format.sampleRate, channels: format.channels };
    }
    offset = body + size + (size % 2);
  }
  throw new Error('no data chunk');
}

export interface WavHeader {
  format: number;
  channels: number;
  sampleRate: number;
  bits: number;
}

/** A WAV whose header says whatever it is told, over `data` as it is. */
export function wavFile(h: WavHeader, data: Uint8Array): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(h.format, 20);
  header.writeUInt16LE(h.channels, 22);
  header.writeUInt32LE(h.sampleRate, 24);
  header.writeUInt32LE((h.sampleRate * h.channels * Math.ceil(h.bits / 8)) % 2 ** 32, 28);
  header.writeUInt16LE((h.channels * Math.ceil(h.bits / 8)) % 2 ** 16, 32);
  header.writeUInt16LE(h.bits, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

/** 16-bit mono PCM as a WAV file. */
export function encodeWav(pcm: Int16Array, sampleRate: number): Buffer {
  return wavFile({ format: 1, channels: 1, sampleRate, bits: 16 }, new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength));
}

/** Half-width of the sinc kernel in input samples at the lower of the two rates. */
const SINC_HALF_WIDTH = 16;

/**
 * Windowed-sinc (Hann) resampler with its cutoff at the lower Nyquist frequency, so neither
 * upsampling images nor downsampling aliases reach a recognizer. Plenty for speech, and fast
 * enough for seconds of audio (~32 taps an output sample).
 */
export function resample(pcm: Int16Array, from: number, to: number): Int16Array {
  if (from === to || pcm.length === 0) return pcm;
  const scale = Math.min(1, to / from); // cutoff relative to the input rate
  const halfWidth = SINC_HALF_WIDTH / scale;
  const out = new Int16Array(Math.floor((pcm.length * to) / from));
  for (let i = 0; i < out.length; i++) {
    const center = (i * from) / to;
    const first = Math.max(0, Math.ceil(center - halfWidth));
    const last = Math.min(pcm.length - 1, Math.floor(center + halfWidth));
    let acc = 0;
    let norm = 0;
    for (let j = first; j <= last; j++) {
      const x = j - center;
      const window = 0.5 + 0.5 * Math.cos((Math.PI * x) / halfWidth);
      const arg = Math.PI * x * scale;
      const w = window * (arg === 0 ? 1 : Math.sin(arg) / arg);
      acc += pcm[j]! * w;
      norm += w;
    }
    out[i] = Math.max(-32768, Math.min(32767, Math.round(norm ? acc / norm : 0)));
  }
  return out;
}

/** Root mean square level, 0..32768. */
export function rms(pcm: Int16Array): number {
  if (pcm.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < pcm.length; i++) sum += pcm[i]! * pcm[i]!;
  return Math.sqrt(sum / pcm.length);
}

/** Frames quieter than this (RMS) at either end are trimmed. */
const TRIM_RMS = 200;

/** Speech without its leading and trailing silence, 10 ms at a time: its last sample is the last one spoken. */
export function trimSilence(pcm: Int16Array, sampleRate: number): Int16Array {
  const win = Math.round(sampleRate / 100);
  const loud = (at: number) => rms(pcm.subarray(at, at + win)) >= TRIM_RMS;
  let first = 0;
  while (first < pcm.length && !loud(first)) first += win;
  let last = Math.max(0, pcm.length - win);
  while (last > first && !loud(last)) last -= win;
  return pcm.slice(first, Math.min(pcm.length, last + win));
}

/** Pieces of mono speech at one rate, trimmed and said one after another with exactly `pausesMs[k]` of silence after piece k. */
export function joinWithPauses(
  pieces: { pcm: Int16Array; sampleRate: number }[],
  pausesMs: number[],
): { pcm: Int16Array; sampleRate: number } {
  const sampleRate = pieces[0]!.sampleRate;
  if (pieces.some((p) => p.sampleRate !== sampleRate)) throw new Error('joinWithPauses: pieces at different sample rates');
  const trimmed = pieces.map((p) => trimSilence(p.pcm, sampleRate));
  const gaps = trimmed.map((_, k) => (k < trimmed.length - 1 ? Math.round(((pausesMs[k] ?? 0) / 1000) * sampleRate) : 0));
  const pcm = new Int16Array(trimmed.reduce((n, p, k) => n + p.length + gaps[k]!, 0));
  let at = 0;
  trimmed.forEach((p, k) => {
    pcm.set(p, at);
    at += p.length + gaps[k]!;
  });
  return { pcm, sampleRate };
}
