import { describe, expect, it } from 'vitest';
import { EchoPath } from '../../test/caller/echo-path.js';

describe("the simulated caller's echo path", () => {
  it('mixes what was heard back in, attenuated, once the delay has passed', () => {
    const rate = 1000; // 1 sample per ms keeps the arithmetic readable
    const echo = new EchoPath({ gainDb: -20, delayMs: 30 }, rate);
    const mic = () => new Int16Array(10);
    const frames: Int16Array[] = [];
    for (let i = 0; i < 6; i++) {
      echo.heard(new Int16Array(10).fill(i === 0 ? 10_000 : 0)); // a 10 ms loud blip, then silence
      const frame = mic();
      echo.mixInto(frame);
      frames.push(frame);
    }
    // The blip comes back 30 ms later (-20 dB = x0.1), and only then.
    expect(frames.map((f) => f[0])).toEqual([0, 0, 0, 1000, 0, 0]);
  });

  it('adds to what the caller says, clipping at full scale', () => {
    const echo = new EchoPath({ gainDb: 0, delayMs: 0 }, 1000);
    echo.heard(new Int16Array([30_000, -30_000, 100]));
    const frame = new Int16Array([10_000, -10_000, 5]);
    echo.mixInto(frame);
    expect([...frame]).toEqual([32_767, -32_768, 105]);
  });
});
