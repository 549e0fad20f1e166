import { resample, trimSilence } from '../../harness/speech/audio.js';
import { FESTIVAL_VOICES, FestivalSynthesizer } from '../../harness/speech/festival.js';
import { FliteSynthesizer } from '../../harness/speech/flite.js';

/** The rate every turn is made and replayed at: Silero's own. */
export const TURN_SAMPLE_RATE = 16_000;

/** Kinds of caller turn, each hard in its own way for a detector that only hears silence. */
export type TurnKind = 'complete' | 'thinking-pause' | 'digits' | 'hesitation' | 'trailing-off' | 'short-answer';

/**
 * A caller's turn as spoken pieces with the pauses between them (ms): the caller has finished only
 * after the last piece. A detector that ends the turn in one of the pauses cuts the caller off.
 */
interface TurnScript {
  kind: TurnKind;
  pieces: string[];
  pausesMs?: number[];
}

const SCRIPTS: TurnScript[] = [
  ...[
    'What is the weather like today?',
    'I would like to book a table for two people tonight.',
    'Can you tell me when the store opens tomorrow?',
    'My package has not arrived yet.',
    'Please cancel my order.',
    'How much does the large one cost?',
    'I need to change my delivery address.',
    'Is there a pharmacy near the station?',
    'Thank you, that is all I needed.',
    'Could you send me the receipt by email?',
    'What time does the last train leave?',
    'I want to speak to someone about my bill.',
  ].map((text): TurnScript => ({ kind: 'complete', pieces: [text] })),
  ...[
    [['I was wondering', 'if you could help me with my account.'], [600]],
    [['The thing is', 'my card was charged twice.'], [900]],
    [['I would like to order', 'the chicken and a salad.'], [500]],
    [['Can you check', 'whether my flight is on time?'], [1200]],
    [['So my question is', 'do you deliver on Sundays?'], [800]],
    [['I bought a phone last week', 'and the screen', 'already cracked.'], [400, 700]],
    [['We are looking for', 'a room with a view of the sea.'], [1000]],
    [['My name is', 'John Smith.'], [700]],
    [['I live on', 'Baker Street.'], [900]],
    [['The reason I am calling', 'is my internet is down.'], [300]],
    [['Could you tell me', 'the opening hours', 'for the weekend?'], [600, 500]],
    [['I think', 'I left my bag on the bus.'], [1100]],
  ].map(([pieces, pausesMs]): TurnScript => ({ kind: 'thinking-pause', pieces: pieces as string[], pausesMs: pausesMs as number[] })),
  ...[
    [['My order number is', 'four seven', 'two nine.'], [700, 900]],
    [['My phone number is', 'five five five', 'zero one', 'four two.'], [500, 800, 600]],
    [['The code is', 'one two three', 'four.'], [600, 1000]],
    [['It is', 'nine', 'eight', 'seven', 'six.'], [400, 500, 600, 500]],
    [['My account number is', 'three three', 'eight one', 'zero.'], [800, 700, 900]],
    [['The address is', 'twelve', 'Oak Street.'], [600, 1100]],
    [['My postcode is', 'S W one', 'A A.'], [500, 900]],
    [['The reference is', 'A B', 'seven seven.'], [700, 600]],
    [['Card ending', 'four four', 'one one.'], [500, 800]],
    [['Room', 'two', 'one', 'five.'], [600, 700, 600]],
  ].map(([pieces, pausesMs]): TurnScript => ({ kind: 'digits', pieces: pieces as string[], pausesMs: pausesMs as number[] })),
  ...[
    [['Um', 'I need to reset my password.'], [700]],
    [['So', 'what are my options?'], [600]],
    [['Uh', 'can I pay by card?'], [800]],
    [['Well', 'I am not sure', 'maybe next week.'], [500, 900]],
    [['Hmm', 'let me think', 'the blue one.'], [900, 1000]],
    [['I want the', 'um', 'the bigger size.'], [400, 600]],
    [['Actually', 'no', 'make it three.'], [500, 700]],
    [['Let me see', 'um', 'Tuesday works.'], [800, 700]],
    [['So basically', 'it stopped working.'], [1000]],
    [['Er', 'is it open now?'], [600]],
  ].map(([pieces, pausesMs]): TurnScript => ({ kind: 'hesitation', pieces: pieces as string[], pausesMs: pausesMs as number[] })),
  ...['I was thinking maybe', 'And then I went to the', 'I am not really sure if', 'It depends on whether', 'Well I guess that'].map(
    (text): TurnScript => ({ kind: 'trailing-off', pieces: [text] }),
  ),
  ...['Yes.', 'No.', 'No, the other one.', 'Yes please.', 'Okay.', 'Sure.', 'Not really.', 'That one.', 'Maybe later.', 'Correct.', 'Two.', 'Right.'].map(
    (text): TurnScript => ({ kind: 'short-answer', pieces: [text] }),
  ),
];

/** Voices and speaking rates the turns are spread over (turn i gets voice i mod 6, rate i mod 3). */
const VOICES = [...['slt', 'awb', 'rms', 'kal16'].map((v) => `flite:${v}`), ...FESTIVAL_VOICES.map((v) => `festival:${v}`)];
const RATES = [1, 1.25, 0.9] as const;

function synthesizer(voice: string, rate: number): { synthesize(text: string): Promise<{ pcm: Int16Array; sampleRate: number }> } {
  const [engine, name] = voice.split(':') as [string, string];
  if (engine === 'festival') return new FestivalSynthesizer({ voice: name as (typeof FESTIVAL_VOICES)[number], durationStretch: rate });
  return new FliteSynthesizer({ voice: name, durationStretch: rate });
}

export interface Turn {
  id: string;
  kind: TurnKind;
  text: string;
  /** What is said in each piece of `speech`. */
  pieces: string[];
  voice: string;
  rate: number;
  /** The caller's audio (16 kHz), with silence before and after. */
  pcm: Int16Array;
  /** Each spoken piece, [start, end] ms from the start of `pcm`. */
  speech: [number, number][];
  /** When the caller finished: the end of the last piece (ms). */
  endMs: number;
}

/** Silence before the turn (the detector settles) and after it (room to decide, or not). */
const LEAD_MS = 1000;
const TAIL_MS = 4000;

/** Every turn, synthesized offline: one turn at a time (a festival process takes ~300 MB), its pieces in parallel. */
export async function synthesizeTurns(): Promise<Turn[]> {
  const turns: Turn[] = [];
  for (const [i, script] of SCRIPTS.entries()) turns.push(await synthesizeTurn(script, i));
  return turns;
}

async function synthesizeTurn(script: TurnScript, i: number): Promise<Turn> {
  const voice = VOICES[i % VOICES.length]!;
  const rate = RATES[i % RATES.length]!;
  const engine = synthesizer(voice, rate);
  const pieces = await Promise.all(
    script.pieces.map(async (text) => {
      const s = await engine.synthesize(text);
      return trimSilence(resample(s.pcm, s.sampleRate, TURN_SAMPLE_RATE), TURN_SAMPLE_RATE);
    }),
  );
  const ms = (samples: number) => (samples / TURN_SAMPLE_RATE) * 1000;
  const at = (msValue: number) => Math.round((msValue / 1000) * TURN_SAMPLE_RATE);
  const pauses = script.pausesMs ?? [];
  const total = at(LEAD_MS) + pieces.reduce((n, p) => n + p.length, 0) + pauses.reduce((n, p) => n + at(p), 0) + at(TAIL_MS);
  const pcm = new Int16Array(total);
  const speech: [number, number][] = [];
  let cursor = at(LEAD_MS);
  pieces.forEach((piece, k) => {
    pcm.set(piece, cursor);
    speech.push([ms(cursor), ms(cursor + piece.length)]);
    cursor += piece.length + at(pauses[k] ?? 0);
  });
  return { id: `${script.kind}-${i}`, kind: script.kind, text: script.pieces.join(' … '), pieces: script.pieces, voice, rate, pcm, speech, endMs: speech.at(-1)![1] };
}
