import {
  type AudioCaptureOptions,
  ConnectionState,
  createLocalAudioTrack,
  type LocalAudioTrack,
  type LocalTrackPublication,
  LogLevel,
  Room,
  RoomEvent,
  setLogLevel,
  Track,
} from 'livekit-client';
import { TURN_RECORD_TOPIC } from '../../contracts/turn-record';
import { AgentAudio } from './agent-audio';
import { agentStateOf, isAgentIdentity } from './agent-participant';
import { requestCall } from './call-api';
import { requireElement } from './dom';
import { LatencyBars } from './latency-bars';
import { connectFailureMessage, disconnectMessage, microphoneFailureMessage } from './messages';
import { MicLevelMeter } from './mic-level';
import { TRANSCRIPTION_TOPIC, Transcript } from './transcript';
import { parseTurnLatency } from './turn-latency';

declare global {
  interface Window {
    /** The current call's room, for debugging and for the browser tests (declared as harness/browser does). */
    voiceAgent?: { room?: Room };
  }
}

type Phase = 'idle' | 'connecting' | 'in-call';

const MICROPHONE_OPTIONS: AudioCaptureOptions = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };

// The page tells the user what went wrong itself; the SDK's info and warning logs would be noise.
setLogLevel(LogLevel.error);

const joinButton = requireElement('join', HTMLButtonElement);
const muteButton = requireElement('mute', HTMLButtonElement);
const hangUpButton = requireElement('hangup', HTMLButtonElement);
const enableAudioButton = requireElement('enable-audio', HTMLButtonElement);
const agentStateView = requireElement('agent-state', HTMLElement);
const messageView = requireElement('message', HTMLElement);
const transcript = new Transcript(requireElement('transcript', HTMLOListElement));
const latencyBars = new LatencyBars(requireElement('latency', HTMLOListElement));
const micLevel = new MicLevelMeter(requireElement('mic-level', HTMLMeterElement));
const agentAudio = new AgentAudio();

const voiceAgent: { room?: Room } = { room: undefined };
window.voiceAgent = voiceAgent;

function showPhase(phase: Phase): void {
  joinButton.disabled = phase !== 'idle';
  muteButton.disabled = phase !== 'in-call';
  hangUpButton.disabled = phase !== 'in-call';
}

function showAgentState(state: string): void {
  agentStateView.textContent = state;
  agentStateView.dataset.state = state;
}

function showMuted(muted: boolean): void {
  muteButton.setAttribute('aria-pressed', String(muted));
}

function showAudioPlayback(room: Room): void {
  enableAudioButton.hidden = room.canPlaybackAudio;
}

function isCurrent(room: Room): boolean {
  return voiceAgent.room === room;
}

function startMicLevel(publication: LocalTrackPublication | undefined): void {
  const track = publication?.track?.mediaStreamTrack;
  if (track) micLevel.start(track);
}

/**
 * The microphone first, then the call: a refusal is told at once, with no room joined, and a page
 * that may use the microphone gathers WebRTC candidates on every interface (without that
 * permission Chromium offers only its default route's, and may connect nowhere).
 */
async function join(): Promise<void> {
  micLevel.prepare();
  messageView.textContent = '';
  transcript.clear();
  latencyBars.clear();
  showPhase('connecting');
  showAgentState('connecting');

  let microphone: LocalAudioTrack;
  try {
    microphone = await createLocalAudioTrack(MICROPHONE_OPTIONS);
  } catch (error) {
    return endCall('idle', microphoneFailureMessage(error));
  }
  const request = await requestCall();
  if (!request.ok) {
    microphone.stop();
    return endCall('idle', request.message);
  }
  const { url, token } = request.credentials;

  const room = new Room({ adaptiveStream: true, dynacast: true });
  voiceAgent.room = room;
  followRoom(room);
  try {
    await room.connect(url, token);
  } catch (error) {
    microphone.stop();
    if (isCurrent(room)) endCall('idle', connectFailureMessage(url, token, error));
    return;
  }
  // Registered only now: a connection that fails also disconnects, and that is reported above.
  room.on(RoomEvent.Disconnected, (reason) => {
    if (isCurrent(room)) endCall('disconnected', disconnectMessage(reason));
  });
  showAgentState(agentStateOf(room));

  let publication: LocalTrackPublication;
  try {
    publication = await room.localParticipant.publishTrack(microphone);
  } catch (error) {
    microphone.stop();
    if (isCurrent(room)) endCall('idle', microphoneFailureMessage(error));
    return;
  }
  if (!isCurrent(room)) return;
  showPhase('in-call');
  startMicLevel(publication);
  showAudioPlayback(room);
}

/** Subscribes the page to what happens in the room. */
function followRoom(room: Room): void {
  const refreshAgentState = (): void => {
    if (isCurrent(room) && room.state === ConnectionState.Connected) showAgentState(agentStateOf(room));
  };
  room
    .on(RoomEvent.ParticipantConnected, refreshAgentState)
    .on(RoomEvent.ParticipantDisconnected, refreshAgentState)
    .on(RoomEvent.ParticipantAttributesChanged, refreshAgentState)
    .on(RoomEvent.TrackSubscribed, (track) => {
      if (isCurrent(room) && track.kind === Track.Kind.Audio) agentAudio.attach(track);
    })
    .on(RoomEvent.TrackUnsubscribed, (track) => agentAudio.detach(track))
    .on(RoomEvent.AudioPlaybackStatusChanged, () => {
      if (isCurrent(room)) showAudioPlayback(room);
    })
    .on(RoomEvent.DataReceived, (payload, _participant, _kind, topic) => {
      if (topic !== TURN_RECORD_TOPIC || !isCurrent(room)) return;
      const turn = parseTurnLatency(payload);
      if (turn) latencyBars.add(turn);
    });
  // The agent publishes the user's transcription too, under the user's identity.
  room.registerTextStreamHandler(TRANSCRIPTION_TOPIC, (reader, sender) => {
    void transcript.read(reader, isAgentIdentity(room, sender.identity) ? 'agent' : 'user');
  });
}

/** Leaves the call, if there is one, and puts the page back to rest; the transcript and latencies stay. */
function endCall(agentState: 'idle' | 'disconnected', message = ''): void {
  const room = voiceAgent.room;
  voiceAgent.room = undefined;
  micLevel.stop();
  agentAudio.detachAll();
  enableAudioButton.hidden = true;
  showMuted(false);
  showPhase('idle');
  showAgentState(agentState);
  messageView.textContent = message;
  void room?.disconnect().catch(() => undefined);
}

async function toggleMute(): Promise<void> {
  const room = voiceAgent.room;
  if (!room) return;
  const mute = muteButton.getAttribute('aria-pressed') !== 'true';
  muteButton.disabled = true;
  try {
    const microphone = await room.localParticipant.setMicrophoneEnabled(!mute, MICROPHONE_OPTIONS);
    if (!isCurrent(room)) return;
    showMuted(mute);
    // Unmuting may have restarted the track, leaving the meter on a dead one.
    if (!mute) startMicLevel(microphone);
  } catch (error) {
    if (isCurrent(room)) messageView.textContent = microphoneFailureMessage(error);
  } finally {
    if (isCurrent(room)) muteButton.disabled = false;
  }
}

joinButton.addEventListener('click', () => void join());
muteButton.addEventListener('click', () => void toggleMute());
hangUpButton.addEventListener('click', () => endCall('idle'));
enableAudioButton.addEventListener('click', () => {
  // A refusal is reported through AudioPlaybackStatusChanged, which keeps the button up.
  voiceAgent.room?.startAudio().catch(() => undefined);
});
