"""Runs the Autobahn WebSocket cases that apply to a JSON server against a fresh `jestry serve`, through kosoku.

Usage: run.py JESTRY_BINARY [CASE ...]   (cases default to APPLICABLE; globs such as "7.*" work)
Exit status 0 only when every selected case passes (OK, NON-STRICT or INFORMATIONAL).
"""

import asyncio
import json
import re
import subprocess
import sys
import tempfile
import urllib.request

import kosoku

# Autobahn's cases mostly expect the server to echo every message. The engine answers a text frame with JSON (an
# `error` for anything that is not a message) and never echoes, so only cases whose expected outcome is a pong, a
# close code or a failed connection apply. Excluded: 1.* and 10.* (echo of text and binary), 5.3-5.8 and 5.15-5.20
# (echo of reassembled fragments), the 6.* cases with valid UTF-8 (echo), 7.1.1 and 7.7.* (echo, or the close
# echoing a valid code, after a message), 9.* (echo of messages up to 16 MiB; the engine closes with 1009 past
# 64 KiB text and 256 KiB binary by design), 12.* and 13.* (permessage-deflate, which the engine does not offer),
# 2.10 and 2.11 (a pong for each of ten quick pings: RFC 6455 §5.5.3 lets a server answer only the latest), and
# 3.2-3.4, 4.1.3-4.1.5, 4.2.3-4.2.5, 5.15 (a text message whose echo is expected before the bad frame; without the
# echo the outcome depends on timing, NON-STRICT or FAILED).
APPLICABLE = [
    "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "2.8", "2.9",  # pings and pongs
    "3.1", "3.5", "3.6", "3.7",  # reserved bits: fail with 1002
    "4.1.1", "4.1.2", "4.2.1", "4.2.2",  # reserved opcodes: fail with 1002
    "5.1", "5.2",               # fragmented control frames: fail
    "5.9", "5.10", "5.11", "5.12", "5.13", "5.14",  # continuation without a start, and text inside a fragmented one
    "6.3.*", "6.4.*",           # invalid UTF-8, whole or fragmented: close with 1007
    "6.6.1", "6.6.3", "6.6.4", "6.6.6", "6.6.8", "6.6.10",  # invalid UTF-8 prefixes
    "6.8.*", "6.10.*", "6.11.5", "6.12.*", "6.13.*", "6.14.*", "6.15.*", "6.16.*", "6.17.*",
    "6.18.*", "6.19.*", "6.21.*",  # invalid code points and surrogates, truncated sequences
    "7.1.2", "7.1.3", "7.1.4", "7.1.5", "7.1.6",  # nothing after a close
    "7.3.*",                    # close frame payloads (empty, 1 byte, reason, too long)
    "7.5.1",                    # a close reason that is not UTF-8
    "7.9.*",                    # invalid close codes: 1002
    "7.13.*",                   # close codes 5000 and 65535 (stricter here than Autobahn, see STRICT_CLOSE)
]

# Autobahn calls the answer to close codes past 4999 "undefined" (INFORMATIONAL); RFC 6455 §7.4 defines no such
# codes, and the engine promises 1002 for them (as for 7.9.*), so the runner requires it.
STRICT_CLOSE = {"7.13.1": 1002, "7.13.2": 1002}


def start_server(binary, data):
    server = subprocess.Popen([binary, "serve", "--port", "0", "--data", data, "--log-level", "error"],
                              stdout=subprocess.PIPE, text=True)
    for line in server.stdout:
        found = re.search(r"listening on http://localhost:(\d+)", line)
        if found:
            return server, int(found.group(1))
    raise SystemExit("jestry serve stopped before it printed its port")


def post(port, path, body):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def authorising_proxy(port, token):
    """kosoku cannot send request headers; this adds the bearer token to each upgrade request and passes every
    byte after it through unchanged, so the frames the engine sees are kosoku's."""
    async def handle(client_reader, client_writer):
        head = await client_reader.readuntil(b"\r\n\r\n")
        head = head[:-2] + f"Authorization: Bearer {token}\r\n\r\n".encode()
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", port)
        server_writer.write(head)
        await asyncio.gather(pipe(client_reader, server_writer), pipe(server_reader, client_writer))

    return await asyncio.start_server(handle, "127.0.0.1", 0)


async def run_cases(port, token, cases):
    proxy = await authorising_proxy(port, token)
    proxy_port = proxy.sockets[0].getsockname()[1]
    try:
        return await kosoku.run_fuzzingclient(f"ws://127.0.0.1:{proxy_port}/v1/interview", cases)
    except kosoku.FailureError as failure:
        return failure.results
    finally:
        proxy.close()


def main():
    binary, cases = sys.argv[1], sys.argv[2:] or APPLICABLE
    with tempfile.TemporaryDirectory() as data:
        server, port = start_server(binary, data)
        try:
            credentials = {"email": "conformance@example.com", "password": "correct horse battery"}
            post(port, "/v1/accounts", {"name": "Conformance", "birth_date": "1990-12-10", **credentials})
            token = post(port, "/v1/login", credentials)["token"]
            results = asyncio.run(run_cases(port, token, cases))
        finally:
            server.terminate()
            server.wait()
    passing = {"OK", "NON-STRICT", "INFORMATIONAL"}
    failed = []
    for result in results:
        behavior, close = result.behavior.value, result.behavior_close.value
        passed = behavior in passing and close in passing
        expected_code = STRICT_CLOSE.get(result.case_id)
        if expected_code is not None and result.remote_close_code != expected_code:
            passed, close = False, f"{close}, answered {result.remote_close_code} instead of {expected_code}"
        print(f"{'ok  ' if passed else 'FAIL'} {result.case_id:8} {behavior} / close {close}")
        if not passed:
            failed.append(result.case_id)
    print(f"{len(results) - len(failed)} of {len(results)} cases passed" + (f"; failed: {' '.join(failed)}" if failed else ""))
    sys.exit(1 if failed or not results else 0)


if __name__ == "__main__":
    main()
