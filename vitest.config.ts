import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests share one livekit-server and one worker per file; run files one at a time on 2 cores.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // rtc-node logs at debug level unless NODE_ENV is production: every data packet would be printed.
    env: { NODE_ENV: 'production' },
  },
});
