import { CST, Parser } from 'yaml';

/*
 * Credentials in a configuration's sources (the environment, the config file), found and kept out
 * of every message about it: config/load.ts words the errors, this keeps them clean.
 */

const SECRET_WORDS = 'secret|password|passwd|token|api[-_]?key|credentials?';
const SECRET_KEY = new RegExp(`^[\\w.-]*(${SECRET_WORDS})$`, 'i');
export const SECRET_KEY_IN_TEXT = new RegExp(`[\\w.-]*(${SECRET_WORDS})`, 'i');
/** A secret key's name, its colon and the word after it, in text that need not parse. */
export const SECRET_KEY_AND_WORD = new RegExp(`(?:${SECRET_WORDS})["']?\\s*[:=]\\s*["']?([^\\s"',{}\\[\\]]+)`, 'gi');

/**
 * Keys whose values are credentials (`apiSecret`, `apiKey`, `password`, `token`, …). No configuration
 * error shows their values, however they were set, nor the config file's text around them: a message
 * quotes the configuration only in plain words, as a file's syntax error does unless it is at a
 * secret key, and never with a secret value in it.
 */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** `text` as a message may quote it: a plain word, which cannot hold `apiSecret: …` text. */
export function quotable(text: unknown): string | undefined {
  return typeof text === 'string' && /^[\w.-]{1,64}$/.test(text) ? text : undefined;
}

/** Where a secret key's value lies in the file's text: offsets from the end of the key to the end of its value. */
export interface SecretSpan {
  key: string;
  from: number;
  to: number;
  value?: string;
}

/** The file's secret values, found on yaml's syntax tree, which it builds for a broken file too. */
export function secretSpans(text: string): SecretSpan[] {
  const spans: SecretSpan[] = [];
  const ignoreErrors = () => {}; // the document's parse reports them
  const end = (token: CST.Token) => token.offset + CST.stringify(token).length;
  for (const token of new Parser().parse(text)) {
    if (token.type !== 'document') continue;
    CST.visit(token, ({ key, sep, value }) => {
      const name = key && CST.resolveAsScalar(key, true, ignoreErrors)?.value;
      if (!key || !name || !isSecretKey(name)) return;
      const last = value ?? sep?.at(-1);
      spans.push({
        key: name,
        from: end(key),
        to: last ? end(last) : end(key),
        value: CST.resolveAsScalar(value, true, ignoreErrors)?.value,
      });
    });
  }
  return spans;
}

/**
 * Shorter values are not hidden: they are no credential (livekit-server asks for 32 characters; its
 * dev pair, `devkey` and `secret`, is public), and hiding one would blank out words of the message.
 */
const SHORTEST_HIDDEN_SECRET = 8;

/** The values of secret keys in one configuration's sources, kept out of every message about it. */
export class SecretValues {
  readonly #values = new Set<string>();

  /** `value`, or everything in it (a secret key may hold a mapping). */
  add(value: unknown, seen = new Set<object>()): void {
    if (value === undefined || value === null) return;
    if (typeof value === 'object') {
      if (seen.has(value)) return; // yaml aliases can make a document cyclic
      seen.add(value);
      for (const item of Object.values(value)) this.add(item, seen);
      return;
    }
    const text = String(value).trim();
    if (text.length >= SHORTEST_HIDDEN_SECRET) this.#values.add(text);
  }

  /** Every value under a secret key anywhere in a parsed file. */
  addUnderSecretKeys(node: unknown, seen = new Set<object>()): void {
    if (typeof node !== 'object' || node === null || seen.has(node)) return;
    seen.add(node);
    for (const [key, value] of Object.entries(node)) {
      if (isSecretKey(key)) this.add(value);
      else this.addUnderSecretKeys(value, seen);
    }
  }

  /** `text` with each secret in it replaced, the longest first so that none is left half shown. */
  redact(text: string): string {
    const values = [...this.#values].sort((a, b) => b.length - a.length);
    if (!values.length) return text;
    const pattern = new RegExp(values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
    return text.replace(pattern, '[redacted]');
  }
}
