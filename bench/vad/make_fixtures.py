#!/usr/bin/env python3
"""Writes the clean speech fixtures for the voice activity detector and their labels.

Each fixture is a spoken answer made of espeak-ng sentences placed with known gaps, at 16 kHz. The labels are the
speech stretches of the clean signal: 10 ms blocks whose peak reaches -54 dBFS are active, and active blocks less
than 300 ms apart belong to one stretch (the gaps between words). Every gap placed between sentences is at least
700 ms, so no gap is ambiguous. Standard library only, plus the espeak-ng and sox commands.

    python3 bench/vad/make_fixtures.py Tests/AudioTests/Fixtures/VAD
"""
import array
import json
import subprocess
import sys
import wave
from pathlib import Path

RATE = 16_000
LEAD_MS = 1_000
TAIL_MS = 1_500
BLOCK_MS = 10
ACTIVE_PEAK = 64            # -54 dBFS
BRIDGE_MS = 300
MIN_GAP_MS = 700

# (voice, words per minute, pitch 0-99), then (sentence, silence after it in ms).
FIXTURES = {
    "answer-us-male": (("en-us", 165, 45), [
        ("At my last job I led the migration to a new billing system.", 900),
        ("Um.", 1_200),
        ("It cut our hosting costs by forty percent.", 2_300),   # a pause to think, just under a turn end
        ("The hardest part was convincing the team to change how they deploy.", 700),
        ("Mhm.", 1_500),
        ("We shipped it two weeks early.", 0),
    ]),
    "answer-gb-female": (("en-gb+f3", 150, 70), [
        ("I would start by asking who the users are and what they need.", 1_000),
        ("Then I would look at the data we already have.", 1_800),
        ("Hmm.", 800),
        ("If retention is the problem, I would measure it weekly.", 2_000),
        ("That gives the team a number to move.", 0),
    ]),
    "short-replies": (("en-us+m3", 185, 35), [
        ("Yes.", 1_400),
        ("Okay.", 900),
        ("No, not really.", 2_200),
        ("Right.", 1_100),
        ("Sure.", 750),
        ("I think so.", 1_600),
        ("Uh huh.", 1_000),
        ("Thanks.", 0),
    ]),
}


def speak(text, voice, speed, pitch):
    """One sentence as 16 kHz samples, with espeak's leading and trailing silence cut off."""
    espeak = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "--stdout", text],
                            check=True, capture_output=True).stdout
    raw = subprocess.run(["sox", "-t", "wav", "-", "-t", "raw", "-r", str(RATE), "-e", "signed", "-b", "16", "-c", "1",
                          "-"], input=espeak, check=True, capture_output=True).stdout
    samples = array.array("h", raw)
    active = [i for i, s in enumerate(samples) if abs(s) >= ACTIVE_PEAK]
    return samples[active[0]:active[-1] + 1]


def stretches(samples):
    """Speech stretches in ms of a clean signal (see the module comment)."""
    block = RATE * BLOCK_MS // 1000
    active = [max(map(abs, samples[i:i + block]), default=0) >= ACTIVE_PEAK for i in range(0, len(samples), block)]
    found = []
    for index, on in enumerate(active):
        if not on:
            continue
        start, end = index * BLOCK_MS, (index + 1) * BLOCK_MS
        if found and start - found[-1][1] < BRIDGE_MS:
            found[-1][1] = end
        else:
            found.append([start, end])
    return found


def main(folder):
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    labels = {}
    for name, ((voice, speed, pitch), sentences) in FIXTURES.items():
        audio = array.array("h", bytes(2 * RATE * LEAD_MS // 1000))
        for text, gap in sentences:
            sentence = speak(text, voice, speed, pitch)
            if len(stretches(sentence)) != 1:
                sys.exit(f"{name}: '{text}' has a pause of {BRIDGE_MS} ms or more inside it; split it")
            audio.extend(sentence)
            assert gap == 0 or gap >= MIN_GAP_MS
            audio.extend(array.array("h", bytes(2 * RATE * gap // 1000)))
        audio.extend(array.array("h", bytes(2 * RATE * TAIL_MS // 1000)))
        found = stretches(audio)
        if len(found) != len(sentences):
            sys.exit(f"{name}: {len(found)} stretches for {len(sentences)} sentences")
        with wave.open(str(folder / f"{name}.wav"), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(RATE)
            out.writeframes(audio.tobytes())
        labels[name] = {"voice": voice, "sentences": [text for text, _ in sentences], "speech_ms": found}
        print(f"{name}: {len(audio) / RATE:.1f} s, {len(found)} stretches")
    # One fixture a line, so a change to the labels reads well in a diff.
    lines = [f" {json.dumps(name)}: {json.dumps(label)}" for name, label in labels.items()]
    (folder / "labels.json").write_text("{\n" + ",\n".join(lines) + "\n}\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "Tests/AudioTests/Fixtures/VAD")
