import { writeFile } from 'node:fs/promises';
import { type Browser, chromium, type Page } from 'playwright-core';
import { AgentSpeechTracker, type SpeechSegment } from '../caller/agent-speech-tracker.js';
import type { PocketsphinxRecognizer } from '../speech/pocketsphinx.js';

/** Debian's Chromium (infra/install.sh): playwright-core downloads no browser of its own. */
const CHROMIUM = '/usr/bin/chromium';
/** What the page's audio is captured at: the recognizer's rate, a third of the data of Chromium's default 48 kHz. */
const CAPTURE_RATE = 16_000;

export interface BrowserCallerOptions {
  /** The web page (web/server). */
  pageUrl: string;
  /**
   * The microphone: a WAV file Chromium's fake capture device plays from the moment the page opens
   * it, once (`--use-file-for-fake-audio-capture`); `refused`: the page is denied the microphone.
   */
  microphone: { wavPath: string } | 'refused';
  /** Transcribes what the page plays (the agent's voice). */
  transcriber?: PocketsphinxRecognizer;
  timeoutMs?: number;
}

export interface HeardInPage {
  text: string;
  /** Page clock (performance.now() in the page, ms) of its first audible sample. */
  startedAt: number;
  endedAt: number;
}

/**
 * A person at the web page, in real Chromium: clicks to join, talks through a fake microphone fed
 * from a WAV file, and hears what the page plays. The page's audio is captured inside the page with
 * Web Audio, both ways (the agent's track as the page plays it, the microphone as the page sends
 * it), on the page's one clock, so "end of the question → first agent sample" is measured where a
 * person hears it.
 */
export class BrowserCaller {
  /** What the page plays: the agent's voice. */
  readonly agent = new AgentSpeechTracker({ sampleRate: CAPTURE_RATE, hangoverMs: 1200 });
  /** What the page's microphone sends: the caller's voice. */
  readonly microphone = new AgentSpeechTracker({ sampleRate: CAPTURE_RATE, hangoverMs: 700 });
  readonly #timer: NodeJS.Timeout;

  private constructor(
    private readonly browser: Browser,
    readonly page: Page,
    private readonly opts: BrowserCallerOptions,
  ) {
    // A segment closes after its hangover of quiet, and the capture sends quiet too; this closes one
    // should the capture stop (the call ended).
    this.#timer = setInterval(
      () =>
        void this.page
          .evaluate(() => performance.now())
          .then((now) => {
            this.agent.closeIfQuiet(now);
            this.microphone.closeIfQuiet(now);
          })
          .catch(() => {}),
      250,
    );
  }

  static async open(opts: BrowserCallerOptions): Promise<BrowserCaller> {
    const args = [
      '--no-sandbox',
      '--disable-gpu',
      '--autoplay-policy=no-user-gesture-required',
      // Host candidates as addresses, not mDNS names: the test namespace has no mDNS.
      '--disable-features=WebRtcHideLocalIpsWithMdns',
      '--use-fake-device-for-media-stream',
    ];
    if (opts.microphone !== 'refused')
      args.push('--use-fake-ui-for-media-stream', `--use-file-for-fake-audio-capture=${opts.microphone.wavPath}%noloop`);
    else args.push('--deny-permission-prompts');
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args });
    try {
      const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
      const page = await context.newPage();
      const caller = new BrowserCaller(browser, page, opts);
      await page.exposeFunction('__captured', (stream: 'agent' | 'microphone', base64: string, at: number) => {
        const bytes = Buffer.from(base64, 'base64');
        const pcm = new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2);
        (stream === 'agent' ? caller.agent : caller.microphone).push(pcm, at);
      });
      await page.goto(opts.pageUrl);
      return caller;
    } catch (e) {
      await browser.close();
      throw e;
    }
  }

  /** Clicks "Talk to the agent" and starts capturing both ways once the agent's audio track is there. */
  async join(): Promise<void> {
    await this.page.click('#join');
    await this.page.waitForFunction(
      () => window.voiceAgent?.room?.localParticipant.getTrackPublications().some((p) => p.kind === 'audio' && p.track),
      undefined,
      {
        timeout: this.opts.timeoutMs ?? 30_000,
      },
    );
    await this.page.waitForFunction(
      () =>
        [...(window.voiceAgent?.room?.remoteParticipants.values() ?? [])].some((p) =>
          [...p.trackPublications.values()].some((t) => t.kind === 'audio' && t.track),
        ),
      undefined,
      { timeout: this.opts.timeoutMs ?? 30_000 },
    );
    await this.page.evaluate(
      ({ rate }) => {
        const room = window.voiceAgent!.room!;
        const ctx = new AudioContext({ sampleRate: rate });
        const capture = (name: 'agent' | 'microphone', track: MediaStreamTrack) => {
          const source = ctx.createMediaStreamSource(new MediaStream([track]));
          const processor = ctx.createScriptProcessor(4096, 1, 1);
          processor.onaudioprocess = (e) => {
            const input = e.inputBuffer.getChannelData(0);
            const pcm = new Int16Array(input.length);
            for (let i = 0; i < input.length; i++) pcm[i] = Math.max(-32768, Math.min(32767, Math.round(input[i]! * 32767)));
            let binary = '';
            const bytes = new Uint8Array(pcm.buffer);
            for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]!);
            const at = performance.now() - (input.length / ctx.sampleRate) * 1000;
            void (window as unknown as { __captured: (s: string, b: string, t: number) => Promise<void> }).__captured(
              name,
              btoa(binary),
              at,
            );
          };
          source.connect(processor);
          processor.connect(ctx.destination);
        };
        const agentTrack = [...room.remoteParticipants.values()]
          .flatMap((p) => [...p.trackPublications.values()])
          .find((t) => t.kind === 'audio' && t.track)!.track!;
        const micTrack = room.localParticipant.getTrackPublications().find((p) => p.kind === 'audio' && p.track)!.track!;
        capture('agent', agentTrack.mediaStreamTrack);
        capture('microphone', micTrack.mediaStreamTrack);
      },
      { rate: CAPTURE_RATE },
    );
  }

  /** The first agent speech that starts after `after` (page clock), heard to its end and transcribed. */
  async hearNextSpeech(after: number): Promise<HeardInPage> {
    const timeoutMs = this.opts.timeoutMs ?? 30_000;
    const startsAfter = (s: SpeechSegment) => s.start >= after;
    await this.agent.waitUntil(
      () => this.agent.segments.some(startsAfter),
      timeoutMs + 60_000,
      'the agent to speak (and finish) in the page',
    );
    const segment = this.agent.segments.find(startsAfter)!;
    return { text: await this.#transcribe(segment), startedAt: segment.start, endedAt: segment.end };
  }

  /**
   * The agent's audio from the first audible frame after `after` (page clock) to the end of its
   * segment, transcribed: what the agent said next after a stop, even when it followed the stop
   * within the segments' hangover.
   */
  async hearSpeechAfter(after: number): Promise<HeardInPage> {
    const timeoutMs = this.opts.timeoutMs ?? 30_000;
    await this.agent.waitUntil(() => this.agent.firstLoudAfter(after) !== undefined, timeoutMs, 'the agent to speak again in the page');
    const first = this.agent.firstLoudAfter(after)!;
    const holdsIt = (s: SpeechSegment) => s.toSample > first.fromSample;
    await this.agent.waitUntil(() => this.agent.segments.some(holdsIt), timeoutMs + 60_000, 'the agent to finish speaking in the page');
    const segment = this.agent.segments.find(holdsIt)!;
    const text = this.opts.transcriber
      ? (await this.opts.transcriber.recognize(this.agent.audio(first.fromSample, segment.toSample), CAPTURE_RATE)).text
      : '';
    return { text, startedAt: first.at, endedAt: segment.end };
  }

  /** The caller's `n`th utterance (0-based) as the page's microphone sent it, once it has ended. */
  async spoken(n: number): Promise<SpeechSegment> {
    await this.microphone.waitUntil(
      () => this.microphone.segments.length > n,
      this.opts.timeoutMs ?? 60_000,
      `the caller's utterance ${n + 1} in the page`,
    );
    return this.microphone.segments[n]!;
  }

  /** Text content of every element matching `selector`. */
  texts(selector: string): Promise<string[]> {
    return this.page.$$eval(selector, (els) => els.map((e) => e.textContent ?? ''));
  }

  async screenshot(path: string): Promise<void> {
    await writeFile(path, await this.page.screenshot({ fullPage: true }));
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.browser.close();
  }

  async #transcribe(segment: SpeechSegment): Promise<string> {
    if (!this.opts.transcriber) return '';
    return (await this.opts.transcriber.recognize(this.agent.audio(segment.fromSample, segment.toSample), CAPTURE_RATE)).text;
  }
}

declare global {
  interface Window {
    /** What the page exposes (web/client/app.ts). */
    voiceAgent?: { room?: import('livekit-client').Room };
  }
}
