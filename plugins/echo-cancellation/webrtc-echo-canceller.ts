import type { ApmProcessReverseStreamResponse, ApmProcessStreamResponse, NewApmResponse, PartialMessage } from '@livekit/rtc-ffi-bindings';
import {
  ApmProcessReverseStreamRequest,
  ApmProcessStreamRequest,
  FfiHandle,
  FfiRequest,
  FfiResponse,
  livekitFfiRequest,
  livekitRetrievePtr,
  NewApmRequest,
} from '@livekit/rtc-ffi-bindings';
import { AudioFrame } from '@livekit/rtc-node';

export interface WebRtcEchoCancellerOptions {
  /** Rate of both streams, in Hz: a multiple of 100 (so 10 ms is a whole number of samples), 8000..96000. */
  sampleRate: number;
  /** WebRTC noise suppression on the near end. Default off: the VAD and the STT cope with line noise. */
  noiseSuppression?: boolean;
  /** 80 Hz high-pass on the near end (removes DC and rumble). Default on: cheap and harmless for speech. */
  highPassFilter?: boolean;
  /** Automatic gain control on the near end. Default off: it would move levels under the VAD's thresholds. */
  gainControl?: boolean;
}

/**
 * WebRTC's audio processing module (AEC3 echo canceller, optionally noise suppression, AGC and
 * high-pass) driven through the LiveKit FFI, which rtc-node 0.13.35 does not wrap in a class.
 *
 * Feed it, 10 ms at a time, int16 mono at one rate:
 * - `processReverse`: the far end, what the agent plays out, as it is handed to playout;
 * - `processNear`: the near end, the caller's audio, before the VAD; it comes back with the agent's echo removed.
 *
 * The far end must reach the canceller before its echo does (call `processReverse` for a frame no
 * later than the `processNear` of the audio it echoes into), as one continuous stream (silence
 * included, one frame per near frame); AEC3 finds a delay of up to ~500 ms itself.
 * The native module aborts the whole process on a frame that is not a multiple of 10 ms, so every
 * size is checked here first. Not thread-safe across workers; one instance per call.
 */
export class WebRtcEchoCanceller {
  readonly sampleRate: number;
  /** Samples in one 10 ms frame (480 at 48 kHz, 160 at 16 kHz). */
  readonly frameSamples: number;
  #handle: FfiHandle | undefined;
  /** The far end is processed in this copy: APM writes its render output in place and the caller's playout must stay untouched. */
  readonly #reverseScratch: Int16Array;

  private constructor(sampleRate: number, handle: FfiHandle) {
    this.sampleRate = sampleRate;
    this.frameSamples = sampleRate / 100;
    this.#handle = handle;
    this.#reverseScratch = new Int16Array(this.frameSamples);
  }

  static create(opts: WebRtcEchoCancellerOptions): WebRtcEchoCanceller {
    const { sampleRate } = opts;
    if (!Number.isInteger(sampleRate) || sampleRate % 100 !== 0 || sampleRate < 8000 || sampleRate > 96_000) {
      throw new RangeError(
        `WebRtcEchoCanceller: sample rate must be a multiple of 100 Hz between 8000 and 96000 (10 ms = whole samples), got ${sampleRate}`,
      );
    }
    ensureFfiInitialized();
    // proto2 `required` fields: all four flags must be set or the request does not encode.
    const res = ffiRequest<NewApmResponse>({
      case: 'newApm',
      value: new NewApmRequest({
        echoCancellerEnabled: true,
        gainControllerEnabled: opts.gainControl ?? false,
        highPassFilterEnabled: opts.highPassFilter ?? true,
        noiseSuppressionEnabled: opts.noiseSuppression ?? false,
      }),
    });
    const id = res.apm?.handle?.id;
    if (id === undefined) throw new Error('WebRtcEchoCanceller: the FFI returned no APM handle');
    return new WebRtcEchoCanceller(sampleRate, new FfiHandle(id));
  }

  /** The far end: 10 ms of what the agent plays out. The frame is not modified. */
  processReverse(frame: Int16Array): void {
    const handle = this.#check(frame, 'processReverse');
    this.#reverseScratch.set(frame);
    const res = ffiRequest<ApmProcessReverseStreamResponse>({
      case: 'apmProcessReverseStream',
      value: new ApmProcessReverseStreamRequest({
        apmHandle: handle.handle,
        dataPtr: pointerTo(this.#reverseScratch),
        size: this.#reverseScratch.byteLength,
        sampleRate: this.sampleRate,
        numChannels: 1,
      }),
    });
    if (res.error) throw new Error(`WebRtcEchoCanceller.processReverse: ${res.error}`);
  }

  /**
   * The near end: 10 ms of the caller's audio. Processed in place: the returned array is `frame`
   * itself, now holding the cleaned audio (copy it first if the original is still needed).
   */
  processNear(frame: Int16Array): Int16Array {
    const handle = this.#check(frame, 'processNear');
    const res = ffiRequest<ApmProcessStreamResponse>({
      case: 'apmProcessStream',
      value: new ApmProcessStreamRequest({
        apmHandle: handle.handle,
        dataPtr: pointerTo(frame),
        size: frame.byteLength,
        sampleRate: this.sampleRate,
        numChannels: 1,
      }),
    });
    if (res.error) throw new Error(`WebRtcEchoCanceller.processNear: ${res.error}`);
    return frame;
  }

  get closed(): boolean {
    return this.#handle === undefined;
  }

  /** Frees the native module. Idempotent; any later call throws. */
  close(): void {
    this.#handle?.dispose();
    this.#handle = undefined;
  }

  #open(method: string): FfiHandle {
    if (!this.#handle) throw new Error(`WebRtcEchoCanceller.${method}: the echo canceller is closed`);
    return this.#handle;
  }

  #check(frame: Int16Array, method: string): FfiHandle {
    const handle = this.#open(method);
    if (!(frame instanceof Int16Array)) {
      throw new TypeError(`WebRtcEchoCanceller.${method}: expected an Int16Array of mono PCM`);
    }
    if (frame.length !== this.frameSamples) {
      throw new RangeError(
        `WebRtcEchoCanceller.${method}: expected exactly 10 ms = ${this.frameSamples} samples at ${this.sampleRate} Hz mono, ` +
          `got ${frame.length} samples (split longer audio with TenMsFramer)`,
      );
    }
    return handle;
  }
}

let ffiInitialized = false;

/**
 * The FFI must be initialized once per process, by rtc-node's own (non-exported) FfiClient so
 * that its event callback and SDK version are the ones registered. Asking an AudioFrame for its
 * FFI buffer info creates that client and allocates nothing native.
 */
function ensureFfiInitialized(): void {
  if (ffiInitialized) return;
  AudioFrame.create(8000, 1, 80).protoInfo();
  ffiInitialized = true;
}

/** Same wire path as rtc-node's `FfiClient.request`. */
function ffiRequest<T>(message: PartialMessage<FfiRequest>['message']): T {
  const bytes = livekitFfiRequest(new FfiRequest({ message }).toBinary());
  return FfiResponse.fromBinary(bytes).message.value as T;
}

/** Address of the view's first sample (the native side honours the view's byte offset). */
function pointerTo(pcm: Int16Array): bigint {
  return livekitRetrievePtr(new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength));
}
