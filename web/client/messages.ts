import { DisconnectReason, MediaDeviceFailure } from 'livekit-client';

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function connectFailureMessage(url: string, token: string, error: unknown): string {
  // The SDK redacts the token from the URLs in its errors; this keeps it off the page whatever the error says.
  const reason = reasonOf(error).replaceAll(token, '<token>');
  return `Could not connect to the LiveKit server at ${url}: ${reason}`;
}

export function microphoneFailureMessage(error: unknown): string {
  switch (MediaDeviceFailure.getFailure(error)) {
    case MediaDeviceFailure.PermissionDenied:
      return 'Microphone access was refused: allow the microphone for this page in the browser and try again.';
    case MediaDeviceFailure.NotFound:
      return 'No microphone was found: connect one and try again.';
    case MediaDeviceFailure.DeviceInUse:
      return 'The microphone is in use by another application: free it and try again.';
    default:
      return window.isSecureContext
        ? `The microphone could not be started: ${reasonOf(error)}`
        : 'The microphone is only available to secure pages: open this page over https or on localhost.';
  }
}

/** What to tell the user when the room drops the call; empty when the call ended as calls do. */
export function disconnectMessage(reason: DisconnectReason | undefined): string {
  switch (reason) {
    // The agent ends a call by closing the room or removing the caller.
    case DisconnectReason.ROOM_DELETED:
    case DisconnectReason.ROOM_CLOSED:
    case DisconnectReason.PARTICIPANT_REMOVED:
      return '';
    default:
      return 'The call was cut: the connection to the LiveKit server was lost.';
  }
}
