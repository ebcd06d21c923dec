#!/usr/bin/env python3
"""Compares Jestry's voice activity detector with Silero VAD v6 and webrtcvad on the labelled test set.

`jestry bench vad --export DIR` writes the mixes (DIR/<condition>/<fixture>.wav), the true speech stretches and the
Swift detector's stretches and CPU time (DIR/results.json). This script runs the two references on the same WAVs,
turns their frame decisions into stretches the same way for both, scores all three on 20 ms windows exactly as
`WindowScore` does in Swift, and prints one table. `make bench-vad` does all of it.

    python3 bench/vad/compare.py DIR
"""
import importlib.util
import json
import os
import sys
import time
import wave

import numpy as np
import onnxruntime
import webrtcvad

RATE = 16_000
WINDOW_MS = 20

# Post-processing of frame decisions into stretches, shared by both references: Silero's usual settings (its
# get_speech_timestamps: threshold 0.5, end below 0.35, speech of 250 ms at least), with gaps shorter than 300 ms
# bridged as the labels bridge the gaps between words, and no padding: its usual 30 ms each side only adds false
# speech against labels this tight (every reference scores better without it).
THRESHOLD = 0.5
NEG_THRESHOLD = 0.35
MIN_SPEECH_MS = 250
MIN_SILENCE_MS = 300
PAD_MS = 0
WEBRTC_MODE = 3  # its most aggressive mode: the least false speech in noise


def read_wav(path):
    with wave.open(str(path), "rb") as file:
        assert file.getframerate() == RATE and file.getnchannels() == 1 and file.getsampwidth() == 2
        return np.frombuffer(file.readframes(file.getnframes()), dtype="<i2")


def stretches(probabilities, frame_ms, duration_ms):
    """Frame probabilities to stretches in ms, in the manner of Silero's get_speech_timestamps."""
    found, start, silence_since = [], None, None
    for index, probability in enumerate(probabilities):
        at = index * frame_ms
        if probability >= THRESHOLD:
            silence_since = None
            if start is None:
                start = at
        elif start is not None and probability < NEG_THRESHOLD:
            if silence_since is None:
                silence_since = at
            if at + frame_ms - silence_since >= MIN_SILENCE_MS:
                if silence_since - start >= MIN_SPEECH_MS:
                    found.append([start, silence_since])
                start, silence_since = None, None
    if start is not None and duration_ms - start >= MIN_SPEECH_MS:
        found.append([start, duration_ms])
    return [[max(0, s - PAD_MS), min(duration_ms, e + PAD_MS)] for s, e in found]


class Silero:
    """Silero VAD v6 as faster-whisper ships it: 512-sample windows (32 ms) with 64 samples of context, the LSTM
    state carried from window to window, one window per call, as a live stream would run it."""
    frame_ms = 32

    def __init__(self):
        package = importlib.util.find_spec("faster_whisper").submodule_search_locations[0]
        options = onnxruntime.SessionOptions()
        options.inter_op_num_threads = 1
        options.intra_op_num_threads = 1
        options.log_severity_level = 4
        self.session = onnxruntime.InferenceSession(os.path.join(package, "assets", "silero_vad_v6.onnx"),
                                                    providers=["CPUExecutionProvider"], sess_options=options)

    def probabilities(self, samples):
        audio = samples.astype(np.float32) / 32_768
        h = np.zeros((1, 1, 128), dtype=np.float32)
        c = np.zeros((1, 1, 128), dtype=np.float32)
        context = np.zeros(64, dtype=np.float32)
        out = []
        for start in range(0, len(audio) - 511, 512):
            window = audio[start:start + 512]
            probability, h, c = self.session.run(None, {"input": np.concatenate([context, window])[None, :], "h": h, "c": c})
            context = window[-64:]
            out.append(float(probability.reshape(-1)[0]))
        return out


class WebRTC:
    """webrtcvad on 20 ms frames; its 0/1 decisions go through the same post-processing."""
    frame_ms = 20

    def __init__(self):
        self.vad = webrtcvad.Vad(WEBRTC_MODE)

    def probabilities(self, samples):
        frame = RATE * self.frame_ms // 1000
        data = samples.astype("<i2").tobytes()
        return [1.0 if self.vad.is_speech(data[2 * i:2 * (i + frame)], RATE) else 0.0
                for i in range(0, len(samples) - frame + 1, frame)]


def windows(stretches_ms, duration_ms):
    """20 ms windows, speech when at least half of the window lies inside a stretch (as WindowScore in Swift)."""
    count = duration_ms // WINDOW_MS
    covered = np.zeros(count, dtype=np.int64)
    starts = np.arange(count) * WINDOW_MS
    for s, e in stretches_ms:
        covered += np.clip(np.minimum(e, starts + WINDOW_MS) - np.maximum(s, starts), 0, None)
    return 2 * covered >= WINDOW_MS


class Score:
    def __init__(self):
        self.true = self.found = self.windows = self.agree = 0
        self.speech = self.missed = self.silence = self.false = 0

    def add(self, truth, found, duration_ms):
        t, f = windows(truth, duration_ms), windows(found, duration_ms)
        self.true += len(truth)
        self.found += len(found)
        self.windows += len(t)
        self.agree += int(np.sum(t == f))
        self.speech += int(np.sum(t))
        self.missed += int(np.sum(t & ~f))
        self.silence += int(np.sum(~t))
        self.false += int(np.sum(~t & f))

    agreement = property(lambda self: self.agree / max(1, self.windows))
    missed_pct = property(lambda self: 100 * self.missed / max(1, self.speech))
    false_pct = property(lambda self: 100 * self.false / max(1, self.silence))


def main(folder):
    results = json.load(open(os.path.join(folder, "results.json")))
    references = {"silero": Silero(), "webrtc": WebRTC()}
    names = ["swift"] + list(references)
    scores = {name: {} for name in names}
    cpu = {name: 0.0 for name in references}
    audio_seconds = 0.0
    for condition in results["conditions"]:
        for name in names:
            scores[name][condition] = Score()
        for fixture in results["fixtures"]:
            samples = read_wav(os.path.join(folder, condition, f"{fixture}.wav"))
            duration_ms = len(samples) * 1000 // RATE
            audio_seconds += len(samples) / RATE
            truth = results["labels"][fixture]
            scores["swift"][condition].add(truth, results["swift"][condition][fixture], duration_ms)
            for name, detector in references.items():
                started = time.thread_time()
                probabilities = detector.probabilities(samples)
                cpu[name] += time.thread_time() - started
                found = stretches(probabilities, detector.frame_ms, duration_ms)
                scores[name][condition].add(truth, found, duration_ms)

    print("Stretches found of true; agreement on 20 ms windows; missed speech and false speech in % of the true "
          "speech and silence windows. Each cell: Jestry / Silero v6 / webrtcvad.\n")
    print("| condition | stretches true | found | agreement | missed speech % | false speech % |")
    print("|---|---|---|---|---|---|")
    for condition in results["conditions"]:
        row = [scores[name][condition] for name in names]
        print(f"| {condition} | {row[0].true} | " + " / ".join(str(s.found) for s in row)
              + " | " + " / ".join(f"{s.agreement:.3f}" for s in row)
              + " | " + " / ".join(f"{s.missed_pct:.1f}" for s in row)
              + " | " + " / ".join(f"{s.false_pct:.1f}" for s in row) + " |")
    costs = [results["swiftMicrosPerAudioSecond"]] + [1e6 * cpu[name] / audio_seconds for name in references]
    print(f"\nCPU per second of audio, µs: Jestry {costs[0]:.0f} (Swift, release build) / Silero v6 {costs[1]:.0f} / "
          f"webrtcvad {costs[2]:.0f} (Python calls; onnxruntime on one thread), over {audio_seconds:.0f} s of audio.")


if __name__ == "__main__":
    main(sys.argv[1])
