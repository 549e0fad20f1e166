/** WAV files as a client might upload them: a header that says whatever it is told, for the upload fuzz tests. */

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
