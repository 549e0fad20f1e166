import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/**
 * The local LLM: a deterministic script of question patterns and answers, so tests and benchmarks
 * know exactly what the agent will say. Patterns are case-insensitive regular expressions matched
 * against the latest message, the caller's or a tool's output; the first rule that matches answers,
 * otherwise the fallback does. `$1`.. in an answer are the pattern's groups. A rule with a `call`
 * calls that tool instead, when the agent offers it and the latest message is the caller's.
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
            call: z
              .object({ name: z.string().min(1), arguments: z.record(z.unknown()).default({}) })
              .strict()
              .optional(),
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

/** The latest message the responder answers: the caller's words, or what a tool it called returned. */
export interface LatestMessage {
  role: 'user' | 'tool';
  text: string;
}

export type ToolCall = { name: string; arguments: Record<string, unknown> };
export type ResponderReply = { say: string } | { call: ToolCall };

type Rule = ResponderScript['rules'][number] & { pattern: RegExp };

export class ScriptedResponder {
  readonly #rules: Rule[];
  readonly #fallback: string;

  constructor(script: ResponderScript) {
    this.#rules = script.rules.map((r) => ({ ...r, pattern: new RegExp(r.when, 'i') }));
    this.#fallback = script.fallback;
  }

  /** What the agent says to `userText` when it offers no tools. */
  answer(userText: string): string {
    const reply = this.reply({ role: 'user', text: userText }, new Set());
    return 'say' in reply ? reply.say : this.#fallback;
  }

  /** The reply to the latest message, given the names of the tools the agent offers. */
  reply(latest: LatestMessage, offeredTools: ReadonlySet<string>): ResponderReply {
    for (const rule of this.#rules) {
      const match = rule.pattern.exec(latest.text);
      if (!match) continue;
      if (rule.call && latest.role === 'user' && offeredTools.has(rule.call.name)) return { call: rule.call };
      return { say: rule.answer.replace(/\$(\d)/g, (_, i: string) => (match[Number(i)] ?? '').trim()) };
    }
    return { say: this.#fallback };
  }
}

/**
 * Splits an answer into the pieces a streaming LLM would emit: each word carries its leading space,
 * as OpenAI tokens do, so concatenating the pieces gives back the answer exactly.
 */
export function tokenize(answer: string): string[] {
  return answer.match(/\s*\S+/g) ?? [];
}
