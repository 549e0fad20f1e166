import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/**
 * The local LLM: a deterministic script of question patterns and answers, so tests and benchmarks
 * know exactly what the agent will say. Patterns are case-insensitive regular expressions matched
 * against the latest user message; the first rule that matches answers, otherwise the fallback does.
 */
const scriptSchema = z
  .object({
    fallback: z.string().min(1),
    rules: z
      .array(
        z
          .object({
            when: z.string().min(1).refine(isValidRegex, 'not a valid regular expression'),
            answer: z.string().min(1),
          })
          .strict(),
      )
      .default([]),
  })
  .strict();

export type ResponderScript = z.infer<typeof scriptSchema>;

function isValidRegex(source: string): boolean {
  try {
    new RegExp(source, 'i');
    return true;
  } catch {
    return false;
  }
}

export class ResponderScriptError extends Error {
  override name = 'ResponderScriptError';
}

export function parseResponderScript(text: string, origin = 'responder script'): ResponderScript {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new ResponderScriptError(`${origin}: not valid YAML: ${(e as Error).message}`);
  }
  const parsed = scriptSchema.safeParse(doc);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ResponderScriptError(`${origin}: invalid:\n${issues.join('\n')}`);
  }
  return parsed.data;
}

export function loadResponderScript(path: string): ResponderScript {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ResponderScriptError(`cannot read responder script ${path}: ${(e as Error).message}`);
  }
  return parseResponderScript(text, path);
}

export class ScriptedResponder {
  readonly #rules: { pattern: RegExp; answer: string }[];
  readonly #fallback: string;

  constructor(script: ResponderScript) {
    this.#rules = script.rules.map((r) => ({ pattern: new RegExp(r.when, 'i'), answer: r.answer }));
    this.#fallback = script.fallback;
  }

  answer(userText: string): string {
    return this.#rules.find((r) => r.pattern.test(userText))?.answer ?? this.#fallback;
  }
}

/**
 * Splits an answer into the pieces a streaming LLM would emit: each word carries its leading space,
 * as OpenAI tokens do, so concatenating the pieces gives back the answer exactly.
 */
export function tokenize(answer: string): string[] {
  return answer.match(/\s*\S+/g) ?? [];
}
