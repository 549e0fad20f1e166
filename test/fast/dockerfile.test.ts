import { describe, expect, it } from 'vitest';
import { DEFAULT_WORKER_HTTP_PORT } from '../../agent/config/schema.js';
import type { Compose } from '../support/compose-file.js';
import { cmdOf, dockerfileStages, effective, stageChain } from '../support/dockerfile.js';
import { repoYaml as read, repoText as text } from '../support/repo-files.js';

/** infra/docker/Dockerfile cannot be built here (no Docker engine): its targets, read offline, against the compose files that build them. */
const stages = dockerfileStages(text('infra/docker/Dockerfile'));
const compose = read('docker-compose.yml') as Compose;
const regionsCompose = read('docker-compose.regions.yml') as Compose;

describe('infra/docker/Dockerfile', () => {
  const targets = [compose, regionsCompose].flatMap((file) =>
    Object.entries(file.services).flatMap(([name, s]) => (s.build ? [{ name, build: s.build }] : [])),
  );

  it('has a stage for every target the compose files build', () => {
    expect(targets.length).toBeGreaterThan(0);
    for (const { name, build } of targets) {
      expect(build.dockerfile, name).toBe('infra/docker/Dockerfile');
      expect(build.target, `${name}: no target (the last stage would be built)`).toBeDefined();
      expect(
        stages.map((s) => s.name),
        name,
      ).toContain(build.target);
    }
  });

  it('runs every image it ships as a non-root user', () => {
    for (const target of ['worker', 'placement', 'local-providers']) {
      const user = effective(stages, target, 'USER');
      expect(user, `${target} runs as root`).toBeDefined();
      expect(user!.split(':')[0], target).not.toMatch(/^(root|0)$/);
    }
  });

  it('leaves dev dependencies, sources and the toolchain out of the worker and placement images', () => {
    for (const target of ['worker', 'placement']) {
      const chain = stageChain(stages, target);
      const lines = chain.flatMap((s) => s.lines);
      // Built from the runtime base, taking only the build's output (COPY --from), not the build stage itself.
      expect(
        chain.map((s) => s.name),
        target,
      ).not.toContain('build');
      expect(
        lines.filter((l) => /\bnpm ci\b/.test(l)).every((l) => l.includes('--omit=dev')),
        target,
      ).toBe(true);
      expect(
        lines.some((l) => /\bnpm ci\b/.test(l)),
        target,
      ).toBe(true);
      expect(lines.filter((l) => /^COPY\s+(?!--from=)/i.test(l)).join('\n'), target).not.toMatch(/COPY\s+\.\s/);
      expect(lines.join('\n'), target).not.toMatch(/\b(gcc|libpocketsphinx-dev|flite)\b/);
      expect(lines.join('\n'), target).toMatch(/NODE_ENV=production/);
    }
  });

  it('starts the programs of the deployment contract', () => {
    expect(cmdOf(stages, 'worker')).toEqual(['node', 'dist/agent/main.js', 'start']);
    expect(effective(stages, 'worker', 'EXPOSE')).toBe(String(DEFAULT_WORKER_HTTP_PORT));
    expect(cmdOf(stages, 'placement')).toEqual(['node', 'dist/web/server/main.js']);
    // The placement service serves web/dist relative to its working directory.
    const workdir = effective(stages, 'placement', 'WORKDIR');
    expect(stageChain(stages, 'placement').flatMap((s) => s.lines)).toContain(`COPY --from=build ${workdir}/web/dist ./web/dist`);
    expect(cmdOf(stages, 'local-providers')).toEqual(['node', '--import', 'tsx', 'harness/local-providers/main.ts']);
    for (const file of [compose, regionsCompose]) {
      const command = file.services['local-providers']!.command;
      if (command) expect(command).toEqual(cmdOf(stages, 'local-providers'));
    }
  });
});
