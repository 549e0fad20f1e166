import { Plugin } from '@livekit/agents';

export {
  ECHO_CANCELLATION_SUMMARY_LOG,
  EchoCancellation,
  type EchoCancellationOptions,
  type EchoCancellationSummary,
} from './echo-cancellation.js';
export { WebRtcEchoCanceller, type WebRtcEchoCancellerOptions } from './webrtc-echo-canceller.js';

class EchoCancellationPlugin extends Plugin {
  constructor() {
    super({ title: 'echo-cancellation', version: '0.1.0', package: 'plugins/echo-cancellation' });
  }
}

Plugin.registerPlugin(new EchoCancellationPlugin());
