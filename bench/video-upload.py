#!/usr/bin/env python3
"""Session video uploads against a running engine: N sessions at once, each sending chunks at `--per-second`
(3, the engine's sustained limit per session: a browser catching up after a reconnect), and the time each chunk's
PUT takes, from the request to the engine's answer that the chunk is in the file.

    python3 bench/video-upload.py --url http://127.0.0.1:18097 --sessions 1 8 --chunks 60 --chunk-kib 125

Standard library only: each session is a real interview WebSocket (a minimal client below) plus keep-alive HTTP/1.1
for the chunks, one account per session. See docs/BENCHMARKS.md.
"""
import argparse
import base64
import http.client
import json
import os
import socket
import statistics
import threading
import time
import urllib.parse


def request(conn, method, path, body=None, token=None, content_type="application/json"):
    headers = {"Content-Type": content_type}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    return response.status, data


def start_interview(host, port, token):
    """Opens /v1/interview, sends session.start, returns (socket, session id)."""
    sock = socket.create_connection((host, port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET /v1/interview HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer {token}\r\n\r\n").encode())
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        buffer += sock.recv(4096)
    head, buffer = buffer.split(b"\r\n\r\n", 1)
    if b" 101 " not in head.split(b"\r\n")[0]:
        raise RuntimeError(head.decode(errors="replace"))
    payload = json.dumps({"type": "session.start", "track": "behavioural"}).encode()
    mask = os.urandom(4)
    frame = bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    sock.sendall(frame)
    while True:
        while len(buffer) < 2:
            buffer += sock.recv(65536)
        length = buffer[1] & 0x7F
        offset = 2
        if length == 126:
            while len(buffer) < 4:
                buffer += sock.recv(65536)
            length = int.from_bytes(buffer[2:4], "big")
            offset = 4
        elif length == 127:
            while len(buffer) < 10:
                buffer += sock.recv(65536)
            length = int.from_bytes(buffer[2:10], "big")
            offset = 10
        while len(buffer) < offset + length:
            buffer += sock.recv(65536)
        message, buffer = buffer[offset:offset + length], buffer[offset + length:]
        event = json.loads(message)
        if event.get("type") == "session.started":
            return sock, event["session_id"]


def run_session(host, port, token, chunks, chunk_bytes, per_second, latencies, failures):
    sock, session_id = start_interview(host, port, token)
    conn = http.client.HTTPConnection(host, port)
    status, _ = request(conn, "POST", f"/v1/sessions/{session_id}/video",
                        json.dumps({"mime_type": "video/webm", "recording_ms": 0}), token)
    if status != 201:
        failures.append(f"begin {status}")
        return
    first = time.perf_counter()
    for number in range(chunks):
        time.sleep(max(0, first + number / per_second - time.perf_counter()))
        body = (b"\x1a\x45\xdf\xa3" if number == 0 else b"") + os.urandom(chunk_bytes - (4 if number == 0 else 0))
        started = time.perf_counter()
        status, data = request(conn, "PUT", f"/v1/sessions/{session_id}/video/chunks/{number}", body, token, "video/webm")
        latencies.append(time.perf_counter() - started)
        if status != 200:
            failures.append(f"chunk {number}: {status} {data[:120]!r}")
    request(conn, "POST", f"/v1/sessions/{session_id}/video/finish", json.dumps({"chunks": chunks}), token)
    sock.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--chunks", type=int, default=60)
    parser.add_argument("--chunk-kib", type=int, default=125)
    parser.add_argument("--per-second", type=float, default=3)
    args = parser.parse_args()
    url = urllib.parse.urlparse(args.url)
    host, port = url.hostname, url.port
    print(f"| sessions at once | chunks | chunk | PUT p50 | PUT p95 | PUT max | MB/s stored | failures |")
    print(f"|---|---|---|---|---|---|---|---|")
    for count in args.sessions:
        tokens = []
        for index in range(count):
            conn = http.client.HTTPConnection(host, port)
            email = f"video-bench-{os.getpid()}-{count}-{index}@example.com"
            request(conn, "POST", "/v1/accounts", json.dumps({"name": "Bench", "email": email, "password": "a long bench password",
                                                              "birth_date": "1990-01-01"}))
            _, data = request(conn, "POST", "/v1/login", json.dumps({"email": email, "password": "a long bench password"}))
            tokens.append(json.loads(data)["token"])
        latencies, failures = [], []
        threads = [threading.Thread(target=run_session, args=(host, port, token, args.chunks, args.chunk_kib * 1024, args.per_second,
                                                                  latencies, failures))
                   for token in tokens]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        latencies.sort()
        ms = lambda value: f"{value * 1000:.1f} ms"
        stored = len(latencies) * args.chunk_kib * 1024 / 1e6
        p95 = latencies[int(len(latencies) * 0.95) - 1] if latencies else 0
        print(f"| {count} | {len(latencies)} | {args.chunk_kib} KiB | {ms(statistics.median(latencies))} | {ms(p95)} | "
              f"{ms(latencies[-1])} | {stored / elapsed:.1f} | {len(failures)} |")
        for failure in failures[:5]:
            print("  ", failure)


if __name__ == "__main__":
    main()
