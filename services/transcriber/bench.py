"""How many candidates speaking at once the local transcriber keeps up with, and how long a final transcript takes.

    python bench.py --url http://127.0.0.1:8091 --speakers 1 2 4 8 --seconds 30

Each simulated candidate speaks (espeak-ng) sentence after sentence in real time, with a 0.8 s pause between them, and
uses the transcriber the way the engine does (docs/PROTOCOL.md §2.8): while a stretch of speech runs past 2 s its
audio so far is sent for an interim transcript at most every 1.5 s and one at a time, and only while fewer than
--engine-slots requests run (interims are skipped, never queued); when the stretch ends the whole stretch is sent for
the final transcript, queued behind at most --engine-queue others. It reports, per number of speakers, the delay from
the end of a stretch to its final transcript (median, 95th percentile, worst), the interims that got through, and the
finals that failed. "Keeps up" means every final arrived and the 95th percentile stays under the 2.5 s of silence
that ends a turn, so the answer is complete when the turn ends.
"""

import argparse
import io
import json
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.request
import uuid
import wave

SENTENCES = [
    "At my last job a colleague wanted to rewrite our billing service all at once.",
    "My goal was to keep every invoice correct while we changed it.",
    "I proposed a small prototype first and wrote a comparison for the team.",
    "As a result we shipped the new service safely and the customers were happy.",
]


def speak(text):
    """PCM16 mono and its rate, from espeak-ng."""
    with tempfile.NamedTemporaryFile(suffix=".wav") as file:
        subprocess.run(["espeak-ng", "-s", "150", "-w", file.name, text], check=True)
        with wave.open(file.name) as wav:
            return wav.readframes(wav.getnframes()), wav.getframerate()


def wav_bytes(pcm, rate):
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    return buffer.getvalue()


def transcribe(url, pcm, rate):
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"s.wav\"\r\n"
            "Content-Type: audio/wav\r\n\r\n").encode() + wav_bytes(pcm, rate) + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(url + "/v1/audio/transcriptions", data=body, method="POST",
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["text"]


class EngineBound:
    """The engine's bound: `slots` running, `queue` waiting; interims only when a slot is free and nobody waits."""

    def __init__(self, slots, queue):
        self.lock = threading.Condition()
        self.slots, self.queue, self.running, self.waiting = slots, queue, 0, 0

    def acquire(self, interim):
        with self.lock:
            if self.running < self.slots and self.waiting == 0:
                self.running += 1
                return True
            if interim or self.waiting >= self.queue:
                return False
            self.waiting += 1
            while self.running >= self.slots:
                self.lock.wait()
            self.waiting -= 1
            self.running += 1
            return True

    def release(self):
        with self.lock:
            self.running -= 1
            self.lock.notify()


def candidate(url, speech, bound, until, results):
    index = 0
    while time.monotonic() < until:
        pcm, rate = speech[index % len(speech)]
        index += 1
        duration = len(pcm) / 2 / rate
        start = time.monotonic()
        interim_out = threading.Event()
        last_interim = None
        while (now := time.monotonic()) - start < duration:
            elapsed = now - start
            if elapsed >= 2 and not interim_out.is_set() and (last_interim is None or now - last_interim >= 1.5):
                if bound.acquire(interim=True):
                    last_interim = now
                    interim_out.set()
                    part = pcm[: int(elapsed * rate) * 2]

                    def run_interim(part=part):
                        try:
                            transcribe(url, part, rate)
                            results["interims"] += 1
                        except Exception:
                            results["interim_failures"] += 1
                        finally:
                            bound.release()
                            interim_out.clear()

                    threading.Thread(target=run_interim, daemon=True).start()
                else:
                    # As in the engine: a refused interim still counts for the rate bound.
                    last_interim = now
                    results["interims_skipped"] += 1
            time.sleep(0.02)
        ended = time.monotonic()
        if bound.acquire(interim=False):
            def run_final(ended=ended):
                try:
                    transcribe(url, pcm, rate)
                    results["delays"].append(time.monotonic() - ended)
                except Exception:
                    results["final_failures"] += 1
                finally:
                    bound.release()

            threading.Thread(target=run_final, daemon=True).start()
        else:
            results["final_failures"] += 1
        time.sleep(0.8)


def run(url, speakers, seconds, speech, slots, queue):
    results = {"delays": [], "interims": 0, "interims_skipped": 0, "interim_failures": 0, "final_failures": 0}
    bound = EngineBound(slots, queue)
    until = time.monotonic() + seconds
    threads = [threading.Thread(target=candidate, args=(url, speech, bound, until, results)) for _ in range(speakers)]
    for index, thread in enumerate(threads):
        time.sleep(0.4 * index / max(1, speakers))  # not all in step
        thread.start()
    for thread in threads:
        thread.join()
    deadline = time.monotonic() + 15
    while bound.running and time.monotonic() < deadline:
        time.sleep(0.05)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8091")
    parser.add_argument("--speakers", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--engine-slots", type=int, default=2)
    parser.add_argument("--engine-queue", type=int, default=8)
    args = parser.parse_args()
    speech = [speak(text) for text in SENTENCES]
    for _ in range(300):  # the service may still be loading its model: up to a minute
        try:
            urllib.request.urlopen(args.url + "/health", timeout=1).read()
            break
        except OSError:
            time.sleep(0.2)
    print("| speakers | finals | final delay median | p95 | worst | interims done / skipped | finals failed | keeps up |")
    print("|---:|---:|---:|---:|---:|---:|---:|---|")
    for speakers in args.speakers:
        result = run(args.url, speakers, args.seconds, speech, args.engine_slots, args.engine_queue)
        delays = sorted(result["delays"])
        if not delays:
            print(f"| {speakers} | 0 | – | – | – | – | {result['final_failures']} | no |")
            continue
        p95 = delays[min(len(delays) - 1, int(round(0.95 * (len(delays) - 1))))]
        keeps_up = result["final_failures"] == 0 and p95 < 2.5
        print(f"| {speakers} | {len(delays)} | {statistics.median(delays):.2f} s | {p95:.2f} s | {delays[-1]:.2f} s | "
              f"{result['interims']} / {result['interims_skipped']} | {result['final_failures']} | "
              f"{'yes' if keeps_up else 'no'} |", flush=True)


if __name__ == "__main__":
    main()
