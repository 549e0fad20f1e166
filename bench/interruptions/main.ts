import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { normalizeWords } from '../../contracts/words.js';
import type { EchoOptions } from '../../harness/caller/echo-path.js';
import type { SimulatedCaller } from '../../harness/caller/simulated-caller.js';
import { requireNamespaceNodeIp } from '../../harness/netns/node-ip.js';
import { trimSilence } from '../../harness/speech/audio.js';
import { FliteSynthesizer } from '../../harness/speech/flite.js';
import { click, cough } from '../../harness/speech/sounds.js';
import { CALLER_VOICE } from '../../harness/speech/voices.js';
import { LocalStack } from '../../harness/stack/local-stack.js';
import type { WorkerLog } from '../../harness/stack/worker-log.js';
import { parseAgentEnv, withAgentUnderTest } from '../shared/agents-under-test.js';
import { placeBenchCall } from '../shared/bench-call.js';
import { runBenchmark, writeReport } from '../shared/bench-main.js';
import { spread } from '../shared/spread.js';

const USAGE = `usage: npm run bench -- interruptions [options]
  --barge-ins N   barge-ins at different points of a long answer (default 20)
  --agent-env K=V extra agent configuration, repeatable (e.g. TURN_MIN_INTERRUPTION_DURATION_MS=250)
  --only LIST     parts to run: barge-in,noise,echo (default all)
  --cancellers L  echo runs with the canceller off, on, or both (default off,on)
  --out DIR       report directory (default .run/bench/interruptions-<time>)

Measures, from the caller's side, how our agent handles being talked over: stop latency and heard
text of barge-ins, cut-offs and resumes caused by coughs, clicks and "uh-huh"s, and self-interruptions
when its own voice comes back into the caller's microphone, with the echo canceller on and off.`;

const STORY_QUESTION = 'Please tell me a story.';
/** Long enough that the agent's pauses (about a second) do not end its reply for the caller. */
const REPLY_DONE_SILENCE_MS = 3000;

type Speech = { pcm: Int16Array; sampleRate: number };

/** The agent under test, what it logs, and the local providers' view of what it said. */
class OurAgentSession {
  constructor(
    readonly stack: LocalStack,
    readonly agentName: string,
    readonly log: WorkerLog,
  ) {}

  /** Words of the TTS context that was playing at `atEpochMs` whose start lies within `heardSec` of its audio. */
  wordsHeard(heardSec: number, atEpochMs: number): string[] {
    const tts = this.stack.providers.log
      .list('tts')
      .filter((r) => r.spokenWords?.length && r.startedAt < atEpochMs)
      .at(-1);
    return (tts?.spokenWords ?? []).filter((w) => w.start < heardSec).flatMap((w) => normalizeWords(w.word));
  }

  async call<T>(opts: { echo?: EchoOptions }, run: (caller: SimulatedCaller) => Promise<T>): Promise<T> {
    const caller = await placeBenchCall(this.stack, this.agentName, { ...opts, agentDoneSilenceMs: REPLY_DONE_SILENCE_MS });
    try {
      await caller.waitForAgent();
      // With its echo and no canceller the agent may never finish the greeting: give it a fixed time.
      if (opts.echo) await new Promise((r) => setTimeout(r, GREETING_MS));
      else await caller.hearNextSpeech(0);
      return await run(caller);
    } finally {
      await caller.hangUp();
    }
  }
}

interface BargeIn {
  atMs: number;
  stopMs: number;
  keptWords: number;
  heardWords: number;
  /** Words in the history's interrupted message that differ from what reached the caller (edit distance). */
  wordDiff: number;
}

async function bargeIns(agent: OurAgentSession, question: Speech, interruption: Speech, count: number): Promise<BargeIn[]> {
  const results: BargeIn[] = [];
  // Spread over the first ~12 s of the ~25 s story. The framework ignores the caller during the first 3 s of
  // agent speech in a session (AEC warm-up): the greeting and the first second of the story.
  const points = Array.from({ length: count }, (_, i) => 2000 + Math.round((i * 10_000) / Math.max(1, count - 1)));
  const perCall = 5;
  for (let first = 0; first < points.length; first += perCall) {
    await agent.call({}, async (caller) => {
      for (const atMs of points.slice(first, first + perCall)) {
        await caller.waitUntilAgentQuiet();
        const mark = agent.log.mark();
        await caller.speak(question);
        const over = await caller.talkOver(interruption, atMs);
        const stop = await caller.agentStopped(over);
        await caller.waitUntilAgentQuiet(); // its answer to the interruption
        const line = agent.log.turns(mark).find((t) => t.interrupted);
        const kept = normalizeWords(line?.agentText ?? '');
        const heard = agent.wordsHeard(stop.heardMs / 1000, performance.timeOrigin + over.speechStartAt);
        results.push({ atMs, stopMs: stop.stopMs, keptWords: kept.length, heardWords: heard.length, wordDiff: editDistance(kept, heard) });
        console.log(
          `  barge-in at ${atMs} ms: stopped ${Math.round(stop.stopMs)} ms after its onset; kept ${kept.length} words, heard ${heard.length}`,
        );
      }
    });
  }
  return results;
}

interface NoiseOutcome {
  noise: string;
  cutOffs: number;
  pauses: number;
  trials: number;
}

async function falseInterruptions(
  agent: OurAgentSession,
  question: Speech,
  noises: Record<string, Speech>,
  trials: number,
): Promise<NoiseOutcome[]> {
  const outcomes: NoiseOutcome[] = [];
  for (const [noise, sound] of Object.entries(noises)) {
    const outcome: NoiseOutcome = { noise, cutOffs: 0, pauses: 0, trials };
    await agent.call({}, async (caller) => {
      for (let i = 0; i < trials; i++) {
        await caller.waitUntilAgentQuiet();
        const mark = agent.log.mark();
        await caller.speak(question);
        const heard = await caller.hearReply(await caller.talkOver(sound, 3000 + i * 1500));
        const cut = agent.log.turns(mark).some((t) => t.interrupted);
        if (cut) outcome.cutOffs++;
        else if (heard.pausesMs.length > 0) outcome.pauses++;
      }
    });
    console.log(`  ${noise}: ${outcome.cutOffs} cut-offs, ${outcome.pauses} paused and resumed, of ${trials}`);
    outcomes.push(outcome);
  }
  return outcomes;
}

interface EchoOutcome {
  canceller: boolean;
  gainDb: number;
  delayMs: number;
  /** Replies the agent cut short with no one but itself talking, in the observation window. */
  selfInterruptions: number;
  perMinute: number;
  /** The ~25 s story played to its end. */
  storyFinished: boolean;
  /** A real barge-in through the echo stopped the agent (tried when the story could finish). */
  bargeInDetected?: boolean;
}

const GREETING_MS = 4000;
/** Long enough for the ~25 s story. Without a canceller the agent may answer its own echo forever. */
const ECHO_OBSERVE_MS = 32_000;

async function echoRun(
  agent: OurAgentSession,
  canceller: boolean,
  echo: EchoOptions,
  question: Speech,
  interruption: Speech,
): Promise<EchoOutcome> {
  return agent.call({ echo }, async (caller) => {
    const mark = agent.log.mark();
    await caller.speak(question);
    await new Promise((r) => setTimeout(r, ECHO_OBSERVE_MS));
    const lines = agent.log.turns(mark);
    const selfInterruptions = lines.filter((t) => t.interrupted).length;
    const storyFinished = lines.some((t) => !t.interrupted && normalizeWords(t.agentText).length >= 60);
    let bargeInDetected: boolean | undefined;
    if (storyFinished) {
      await caller.waitUntilAgentQuiet().catch(() => undefined);
      await caller.speak(question);
      const stop = await caller.agentStopped(await caller.talkOver(interruption, 4000));
      bargeInDetected = stop.heardMs < 12_000;
    }
    const outcome: EchoOutcome = {
      canceller,
      ...echo,
      selfInterruptions,
      perMinute: selfInterruptions / (ECHO_OBSERVE_MS / 60_000),
      storyFinished,
      bargeInDetected,
    };
    console.log(
      `  canceller ${canceller ? 'on' : 'off'}, echo ${echo.gainDb} dB / ${echo.delayMs} ms: ${selfInterruptions} self-interruptions in ${ECHO_OBSERVE_MS / 1000} s, ` +
        `story ${storyFinished ? 'finished' : 'not finished'}, barge-in ${bargeInDetected === undefined ? 'not tried' : bargeInDetected ? 'detected' : 'missed'}`,
    );
    return outcome;
  });
}

function editDistance(a: string[], b: string[]): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = Math.min(up + 1, row[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length]!;
}

function render(barge: BargeIn[], noises: NoiseOutcome[], echoes: EchoOutcome[]): string {
  const stop = spread(barge.map((b) => b.stopMs));
  const diff = spread(barge.map((b) => b.wordDiff));
  const lines = [
    '# Interruption benchmark (our agent, as the caller hears it)',
    '',
    `## Barge-in (${barge.length}, at 2–12 s into a ~25 s answer)`,
    '',
    `- Stop latency (onset of the caller's speech → last agent sample received): p50 ${Math.round(stop?.p50 ?? 0)} ms, p95 ${Math.round(stop?.p95 ?? 0)} ms.`,
    `- Heard text: the history's interrupted message vs the words that reached the caller (TTS word times within the audio received): word differences p50 ${diff?.p50 ?? '–'}, p95 ${diff?.p95 ?? '–'}, max ${Math.max(0, ...barge.map((b) => b.wordDiff))}; ${barge.filter((b) => b.keptWords === 0).length} interruptions left no assistant message.`,
    '',
    '| at (ms) | stop (ms) | words kept | words heard | difference |',
    '|---:|---:|---:|---:|---:|',
    ...barge.map((b) => `| ${b.atMs} | ${Math.round(b.stopMs)} | ${b.keptWords} | ${b.heardWords} | ${b.wordDiff} |`),
    '',
    '## False interruptions (sounds over a long answer)',
    '',
    '| sound | trials | cut-offs | paused, then resumed |',
    '|---|---:|---:|---:|',
    ...noises.map((n) => `| ${n.noise} | ${n.trials} | ${n.cutOffs} | ${n.pauses} |`),
    '',
    "## The agent's own voice in the caller's microphone",
    '',
    `Asked for the ~25 s story, observed for ${ECHO_OBSERVE_MS / 1000} s.`,
    '',
    '| canceller | echo level | echo delay | self-interruptions | per minute | story finished | barge-in through the echo |',
    '|---|---:|---:|---:|---:|---|---|',
    ...echoes.map(
      (e) =>
        `| ${e.canceller ? 'on' : 'off'} | ${e.gainDb} dB | ${e.delayMs} ms | ${e.selfInterruptions} | ${e.perMinute.toFixed(1)} | ${e.storyFinished ? 'yes' : 'no'} | ${e.bargeInDetected === undefined ? '–' : e.bargeInDetected ? 'detected' : 'missed'} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'barge-ins': { type: 'string', default: '20' },
      'agent-env': { type: 'string', multiple: true, default: [] },
      only: { type: 'string', default: 'barge-in,noise,echo' },
      cancellers: { type: 'string', default: 'off,on' },
      out: { type: 'string', default: join('.run/bench', `interruptions-${new Date().toISOString().replace(/[:.]/g, '-')}`) },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return console.log(USAGE);
  const count = Number(values['barge-ins']);
  if (!Number.isInteger(count) || count < 1) throw new Error(`--barge-ins: expected a positive integer, got '${values['barge-ins']}'`);
  mkdirSync(values.out, { recursive: true });

  const voice = new FliteSynthesizer({ voice: CALLER_VOICE });
  const say = async (text: string): Promise<Speech> => {
    const s = await voice.synthesize(text);
    return { pcm: trimSilence(s.pcm, s.sampleRate), sampleRate: s.sampleRate };
  };
  const question = await say(STORY_QUESTION);
  const interruption = await say('Wait, please stop there.');
  const noises = { cough: cough(), 'keyboard click': click(), 'uh-huh': await say('Uh huh.') };

  const agentEnv = parseAgentEnv(values['agent-env']);
  const stack = await LocalStack.start({ logDir: join(values.out, 'logs'), nodeIp: requireNamespaceNodeIp(), latency: 'zero' });
  try {
    const run = async <T>(echoCancellation: 'auto' | 'on' | 'off', body: (agent: OurAgentSession) => Promise<T>) =>
      withAgentUnderTest(stack, 'ours', { ...agentEnv, AUDIO_ECHO_CANCELLATION: echoCancellation }, (a) =>
        body(new OurAgentSession(stack, a.agentName, a.log)),
      );

    const parts = new Set(values.only.split(','));
    console.log(`barge-ins (${count})`);
    // Barge-ins and noises come from a WebRTC caller, who cancels its own echo: the worker's canceller stays off (`auto`).
    const barge = parts.has('barge-in') ? await run('auto', (agent) => bargeIns(agent, question, interruption, count)) : [];
    console.log('false interruptions');
    const noise = parts.has('noise') ? await run('auto', (agent) => falseInterruptions(agent, question, noises, 5)) : [];
    console.log('echo');
    const echoes: EchoOutcome[] = [];
    const cancellers = values.cancellers.split(',').map((c) => c === 'on');
    for (const canceller of parts.has('echo') ? cancellers : []) {
      await run(canceller ? 'on' : 'off', async (agent) => {
        for (const gainDb of [-20, -10])
          for (const delayMs of [50, 200]) echoes.push(await echoRun(agent, canceller, { gainDb, delayMs }, question, interruption));
      });
    }
    const markdown = render(barge, noise, echoes);
    writeReport(values.out, { bargeIns: barge, falseInterruptions: noise, echo: echoes }, markdown);
  } finally {
    await stack.stop();
  }
}

runBenchmark('bench', main);
