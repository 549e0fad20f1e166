import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RESPONDER_SCRIPT } from '../../harness/local-providers/index.js';
import {
  loadResponderScript,
  parseResponderScript,
  ResponderScriptError,
  ScriptedResponder,
  tokenize,
} from '../../harness/local-providers/responder.js';

const SCRIPT = `
fallback: I do not know.
rules:
  - when: weather|rain
    answer: It is sunny.
  - when: \\bjoke\\b
    answer: A joke.
  - when: weather
    answer: Never reached.
`;

describe('ScriptedResponder', () => {
  const responder = new ScriptedResponder(parseResponderScript(SCRIPT));

  it('answers with the first rule that matches, case-insensitively', () => {
    expect(responder.answer('What is the WEATHER like?')).toBe('It is sunny.');
    expect(responder.answer('will it rain')).toBe('It is sunny.');
    expect(responder.answer('tell me a joke')).toBe('A joke.');
  });

  it('falls back when nothing matches', () => {
    expect(responder.answer('jokes aside, who are you')).toBe('I do not know.');
    expect(responder.answer('')).toBe('I do not know.');
  });

  it("calls a rule's tool only when the agent offers it and the caller spoke; fills in the pattern's groups", () => {
    const tools = new ScriptedResponder(
      parseResponderScript(`
fallback: No.
rules:
  - when: ^done
    answer: Done.
  - when: bye
    call: { name: end_call, arguments: { reason: bye } }
    answer: Goodbye.
  - when: ^keypad:? ([\\d ]+)$
    answer: You typed $1.
`),
    );
    expect(tools.reply({ role: 'user', text: 'bye now' }, new Set(['end_call']))).toEqual({
      call: { name: 'end_call', arguments: { reason: 'bye' } },
    });
    expect(tools.reply({ role: 'user', text: 'bye now' }, new Set())).toEqual({ say: 'Goodbye.' });
    expect(tools.reply({ role: 'tool', text: 'bye was said' }, new Set(['end_call']))).toEqual({ say: 'Goodbye.' });
    expect(tools.reply({ role: 'tool', text: 'done' }, new Set(['end_call']))).toEqual({ say: 'Done.' });
    expect(tools.answer('Keypad: 4 7 2 9')).toBe('You typed 4 7 2 9.');
  });

  it('loads the shipped script, which answers the default questions of the simulated caller', () => {
    const shipped = new ScriptedResponder(loadResponderScript(DEFAULT_RESPONDER_SCRIPT));
    const fallback = parseResponderScript(readFileSync(DEFAULT_RESPONDER_SCRIPT, 'utf8')).fallback;
    expect(shipped.answer('what is the weather like today')).not.toBe(fallback);
    expect(shipped.answer('tell me a joke')).not.toBe(fallback);
  });
});

describe('parseResponderScript', () => {
  it('rejects a bad regular expression, naming the rule', () => {
    expect(() => parseResponderScript('fallback: x\nrules:\n  - when: "("\n    answer: y\n')).toThrow(
      /rules\.0\.when: not a valid regular expression/,
    );
  });

  it('rejects a missing fallback and unknown keys', () => {
    expect(() => parseResponderScript('rules: []')).toThrow(ResponderScriptError);
    expect(() => parseResponderScript('fallback: x\nrules:\n  - when: a\n    answer: b\n    delay: 3\n')).toThrow(/Unrecognized key/);
  });

  it('rejects YAML that does not parse and files that do not exist', () => {
    expect(() => parseResponderScript('fallback: [')).toThrow(/not valid YAML/);
    expect(() => loadResponderScript('/nonexistent.yaml')).toThrow(/cannot read responder script/);
  });
});

describe('tokenize', () => {
  it('splits into word tokens with their leading spaces, which concatenate back to the answer', () => {
    const answer = 'Why did the chicken cross the road?  To get across.';
    const tokens = tokenize(answer);
    expect(tokens).toEqual(['Why', ' did', ' the', ' chicken', ' cross', ' the', ' road?', '  To', ' get', ' across.']);
    expect(tokens.join('')).toBe(answer);
    expect(tokenize('   ')).toEqual([]);
  });
});
