#!/usr/bin/env python3
"""A small HTTP sink on loopback for the SMS-gateway tests (Python stdlib only).

Every request is recorded in DIR as N.json:
  {"id", "method", "path", "query", "headers": [[name, value], ...], "body_base64", "body_utf8"}
written by rename, so a reader that sees the file sees it whole.

Answers, by path (the query string is ignored for routing):
  /status/NNN      status NNN (100-599), body "status NNN"
  /fail500         500
  /slow            sleeps ?seconds=N (default 3, at most 30), then 200
  anything else    200, body {"accepted":true,"id":N}
Requests larger than 1 MiB are refused with 413 and not recorded.

Usage: http-sink.py --port PORT --dir DIR
"""
import argparse
import base64
import http.server
import json
import os
import signal
import sys
import threading
import time
import urllib.parse

MAX_BODY = 1 << 20
LOCK = threading.Lock()
STATE = {"n": 0}


def make_handler(directory):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "sleutel-http-sink"
        disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

        def log_message(self, fmt, *args):
            pass

        def handle_any(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self.answer(413, b"too large")
                return
            body = self.rfile.read(length) if length > 0 else b""
            parsed = urllib.parse.urlsplit(self.path)
            with LOCK:
                STATE["n"] += 1
                number = STATE["n"]
            record = {
                "id": number,
                "method": self.command,
                "path": parsed.path,
                "query": parsed.query,
                "headers": [[k, v] for k, v in self.headers.items()],
                "body_base64": base64.b64encode(body).decode(),
                "body_utf8": body.decode("utf-8", errors="replace"),
            }
            name = os.path.join(directory, "%06d.json" % number)
            with open(name + ".tmp", "w") as f:
                json.dump(record, f)
            os.rename(name + ".tmp", name)
            print("request %d %s %s %d bytes" % (number, self.command, parsed.path, len(body)), flush=True)

            path = parsed.path
            if path.startswith("/status/"):
                try:
                    status = int(path.split("/")[2])
                except ValueError:
                    status = 400
                status = status if 100 <= status <= 599 else 400
                self.answer(status, ("status %d" % status).encode())
            elif path == "/fail500":
                self.answer(500, b"internal error")
            elif path == "/slow":
                query = urllib.parse.parse_qs(parsed.query)
                try:
                    seconds = min(float(query.get("seconds", ["3"])[0]), 30.0)
                except ValueError:
                    seconds = 3.0
                time.sleep(seconds)
                self.answer(200, b"slow")
            else:
                self.answer(200, json.dumps({"accepted": True, "id": number}).encode(), "application/json")

        def answer(self, status, body, content_type="text/plain"):
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = handle_any

    return Handler


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(args.dir))
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print("http sink: port %d, requests in %s" % (args.port, args.dir), flush=True)
    server.serve_forever()
    print("http sink: stopped", flush=True)


if __name__ == "__main__":
    try:
        main()
    except OSError as error:
        print("http sink: %s" % error, file=sys.stderr)
        sys.exit(1)
