import type { RemoteTrack } from 'livekit-client';

/** Plays the remote audio tracks through hidden `<audio>` elements. */
export class AgentAudio {
  readonly #tracks = new Set<RemoteTrack>();

  attach(track: RemoteTrack): void {
    const element = track.attach();
    element.hidden = true;
    document.body.append(element);
    this.#tracks.add(track);
  }

  detach(track: RemoteTrack): void {
    for (const element of track.detach()) element.remove();
    this.#tracks.delete(track);
  }

  detachAll(): void {
    for (const track of this.#tracks) this.detach(track);
  }
}
