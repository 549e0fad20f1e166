import { describe, expect, it } from 'vitest';
import { TenMsFramer } from './ten-ms-framer.js';

describe('TenMsFramer', () => {
  it('cuts chunks of any length into 10 ms frames and keeps the remainder', () => {
    const framer = new TenMsFramer(16_000);
    const input = Int16Array.from({ length: 500 }, (_, i) => i);
    const frames = [...framer.push(input.subarray(0, 100)), ...framer.push(input.subarray(100, 430)), ...framer.push(input.subarray(430))];
    expect(frames.map((f) => f.length)).toEqual([160, 160, 160]);
    expect(Array.from(frames.flatMap((f) => Array.from(f)))).toEqual(Array.from(input.subarray(0, 480)));
    expect(framer.pendingSamples).toBe(20);
    const last = framer.flush()!;
    expect(last.length).toBe(160);
    expect(Array.from(last.subarray(0, 20))).toEqual(Array.from(input.subarray(480)));
    expect(last.subarray(20).every((s) => s === 0)).toBe(true);
    expect(framer.flush()).toBeUndefined();
  });

  it('returns copies, not views of the caller’s buffer', () => {
    const framer = new TenMsFramer(8000);
    const input = new Int16Array(80).fill(7);
    const [frame] = framer.push(input);
    input.fill(0);
    expect(frame![0]).toBe(7);
  });

  it('rejects rates where 10 ms is not a whole number of samples', () => {
    expect(() => new TenMsFramer(22_050)).toThrow(/multiple of 100/);
  });
});
