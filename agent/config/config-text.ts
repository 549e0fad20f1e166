import { LineCounter, parseDocument, type YAMLError } from 'yaml';
import { SECRET_KEY_AND_WORD, SECRET_KEY_IN_TEXT, type SecretSpan, type SecretValues, secretSpans } from './config-secrets.js';

/**
 * A configuration file's text that does not parse (YAML, or JSON, which YAML reads too). Its message
 * says where and why without quoting a secret: the worker's config file and the SIP provisioning file
 * are read through here.
 */
export class ConfigTextError extends Error {
  override name = 'ConfigTextError';
}

/** The file's content; the values of its secret keys go to `secrets` first, whether it parses or not. */
export function parseConfigText(text: string, secrets: SecretValues, invalid: string): unknown {
  let spans: SecretSpan[];
  try {
    spans = secretSpans(text);
  } catch (e) {
    if (e instanceof RangeError) throw new ConfigTextError(`${invalid}: nested too deeply`);
    throw e;
  }
  for (const span of spans) secrets.add(span.value);
  // Also what reads as a secret key's value to a person, where the parser makes something else of it.
  for (const [, word] of text.matchAll(SECRET_KEY_AND_WORD)) secrets.add(word);
  const lines = new LineCounter();
  // YAML is a superset of JSON, so both formats parse here. Warnings are not printed: yaml's quote
  // the text (an unknown tag on a secret is the secret).
  const doc = parseDocument(text, { prettyErrors: false, lineCounter: lines, logLevel: 'error' });
  const [error] = doc.errors;
  if (error) throw new ConfigTextError(`${invalid}: ${describeSyntaxError(error, text, lines, spans)}`);
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (e) {
    if (!(e instanceof ReferenceError)) throw e;
    // yaml's message names the alias, and in flow text the name runs on into whatever follows it.
    throw new ConfigTextError(`${invalid}: an alias (*name) has no anchor (&name) before it, or the aliases expand too far`);
  }
  secrets.addUnderSecretKeys(value);
  return value;
}

/**
 * Where the file broke, and why. yaml's reason can quote the text it stopped at, so in a secret
 * key's value, or on a line that names one, only its code is given.
 */
function describeSyntaxError(error: YAMLError, text: string, lines: LineCounter, spans: SecretSpan[]): string {
  const offset = error.pos[0];
  const { line, col } = lines.linePos(offset);
  const where = `line ${line}, column ${col}`;
  const inValue = spans.find((span) => offset >= span.from && offset <= span.to)?.key;
  if (inValue) return `${where}: ${error.code} in the value of ${inValue} (the text there is not shown)`;
  const onLine = text.slice(lines.lineStarts[line - 1], lines.lineStarts[line]).match(SECRET_KEY_IN_TEXT)?.[0];
  if (onLine) return `${where}: ${error.code} on the line of ${onLine} (the text there is not shown)`;
  return `${where}: ${error.message}`;
}
