import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ignoredBy } from '../support/dockerignore.js';
import { REPO_ROOT as root, repoText as text } from '../support/repo-files.js';

describe('.dockerignore', () => {
  const ignored = ignoredBy(text('.dockerignore'));

  it('keeps secrets, local state and what the image builds itself out of the build context', () => {
    const leaked = [
      '.env',
      '.env.local',
      'infra/.env.production',
      'infra/tls/server.pem',
      'secrets/livekit.key',
      'node_modules/yaml/package.json',
      '.git/config',
      'dist/agent/main.js',
      '.tools/bin/livekit-server',
      '.run/test-logs/conversation/worker.log',
      'npm-debug.log',
    ].filter((path) => !ignored(path));
    expect(leaked).toEqual([]);
  });

  it('sends what infra/docker/Dockerfile builds from', () => {
    const needed = [
      'package.json',
      'package-lock.json',
      '.npmrc',
      'tsconfig.build.json',
      'harness/speech/native/ps_server.c',
      'harness/local-providers/main.ts',
      'agent/main.ts',
      'web/build.ts',
      'web/client/app.ts',
      'web/server/main.ts',
      'contracts/agent-name.ts',
      'placement/index.ts',
    ];
    for (const path of needed) expect(existsSync(`${root}/${path}`), path).toBe(true);
    expect(needed.filter(ignored)).toEqual([]);
  });
});
