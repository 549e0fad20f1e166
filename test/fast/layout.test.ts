import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Who may import whom (README, "Layout"). The facts several parts share (contracts/) import nothing;
 * the product (agent/, plugins/) stands alone; the placement service stands on contracts/ alone; the
 * SIP tools, the web front and the harness reach the agent only through contracts/ and its configuration; the harness serves tests, benchmarks and
 * users; a plugin is used through its entry file only.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Import {
  from: string;
  to: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f));
}

/** Every relative import of the project's TypeScript, as paths from the repository root. */
function projectImports(): Import[] {
  const files = ['agent', 'contracts', 'placement', 'plugins', 'web', 'harness', 'sip', 'test', 'bench']
    .flatMap(sourceFiles)
    .filter((f) => !f.startsWith('web/dist/'));
  return files.flatMap((from) => {
    const text = readFileSync(join(ROOT, from), 'utf8');
    const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]!);
    return specifiers.map((s) => ({ from, to: relative(ROOT, resolve(ROOT, dirname(from), s)).replace(/\.js$/, '.ts') }));
  });
}

const imports = projectImports();
const top = (path: string) => path.split('/')[0]!;
const isTest = (path: string) => path.endsWith('.test.ts');
const show = (list: Import[]) => list.map((i) => `${i.from} -> ${i.to}`);

describe('the layout', () => {
  it('reads the imports it checks', () => {
    expect(imports.length).toBeGreaterThan(100);
    expect(imports).toContainEqual({ from: 'agent/voice-agent.ts', to: 'agent/session/conversation.ts' });
  });

  it('has the shared facts import nothing at all, of the project or of a package', () => {
    const contracts = sourceFiles('contracts');
    expect(contracts).toContain('contracts/pool-presence.ts');
    const importing = contracts.filter((f) => /^\s*import\b|\bimport\s*\(|\brequire\s*\(/m.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(importing).toEqual([]);
  });

  it('keeps the product free of the harness, the tests and the benchmarks', () => {
    const product = imports.filter((i) => ['agent', 'plugins'].includes(top(i.from)) && !isTest(i.from));
    expect(show(product.filter((i) => !['agent', 'plugins', 'contracts'].includes(top(i.to))))).toEqual([]);
  });

  it('keeps the web page and its server free of the harness, the tests and the benchmarks', () => {
    const web = imports.filter((i) => top(i.from) === 'web');
    expect(web.map((i) => i.from)).toContain('web/client/app.ts');
    expect(show(web.filter((i) => !['agent', 'web', 'contracts', 'placement'].includes(top(i.to))))).toEqual([]);
  });

  it('has the placement service stand on the shared facts alone, used through its entry file', () => {
    expect(show(imports.filter((i) => top(i.from) === 'placement' && !['placement', 'contracts'].includes(top(i.to))))).toEqual([]);
    const reachingIn = imports.filter(
      (i) => top(i.to) === 'placement' && top(i.from) !== 'placement' && !isTest(i.from) && i.to !== 'placement/index.ts',
    );
    expect(show(reachingIn)).toEqual([]);
  });

  it('has the SIP tools, the web front, the placement service and the harness reach the agent only through contracts/ and its configuration', () => {
    const reaching = imports.filter(
      (i) => ['sip', 'web', 'placement', 'harness'].includes(top(i.from)) && top(i.to) === 'agent' && !i.to.startsWith('agent/config/'),
    );
    expect(show(reaching)).toEqual([]);
    expect(show(imports.filter((i) => top(i.from) === 'sip' && top(i.to) === 'harness'))).toEqual([]);
  });

  it('has plugins used through their entry file, importing nothing of the project outside themselves', () => {
    const pluginOf = (path: string) => (top(path) === 'plugins' ? path.split('/').slice(0, 2).join('/') : undefined);
    const reachingIn = imports.filter((i) => {
      const plugin = pluginOf(i.to);
      return plugin !== undefined && pluginOf(i.from) !== plugin && i.to !== `${plugin}/index.ts`;
    });
    expect(show(reachingIn)).toEqual([]);
    const reachingOut = imports.filter((i) => pluginOf(i.from) && !isTest(i.from) && pluginOf(i.to) !== pluginOf(i.from));
    expect(show(reachingOut)).toEqual([]);
  });

  it('has the harness, the SIP tools and the benchmarks import nothing from the tests, and the harness nothing from the benchmarks', () => {
    expect(
      show(
        imports.filter(
          (i) => ['harness', 'sip', 'bench'].includes(top(i.from)) && ['test', 'bench'].includes(top(i.to)) && top(i.from) !== top(i.to),
        ),
      ),
    ).toEqual([]);
    expect(show(imports.filter((i) => top(i.from) === 'harness' && top(i.to) === 'bench'))).toEqual([]);
  });
});
