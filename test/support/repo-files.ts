import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** The repository's files, as the deployment tests read them. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export const repoText = (path: string) => readFileSync(`${REPO_ROOT}/${path}`, 'utf8');

/** A YAML file, merge keys on: docker-compose.yml shares environment blocks with `<<: *anchor`, as compose reads them. */
export const repoYaml = (path: string): unknown => parse(repoText(path), { merge: true });

/** The files under `dir` whose path matches `pattern`, as repository paths, sorted. */
export const listRepoFiles = (dir: string, pattern: RegExp) =>
  readdirSync(`${REPO_ROOT}/${dir}`, { recursive: true, encoding: 'utf8' })
    .filter((f) => pattern.test(f))
    .map((f) => `${dir}/${f}`)
    .sort();
