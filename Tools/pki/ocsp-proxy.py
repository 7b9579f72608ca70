#!/usr/bin/env python3
"""Path-routing HTTP proxy for the test PKI's OCSP responders (Python stdlib only).

The test certificates put several CAs on one port (http://127.0.0.1:8888/citizen-ca,
/foreigner-ca, /root); `openssl ocsp` serves one CA per process. This proxy listens on the
public loopback ports and forwards each request, by its first path segment, to the
`openssl ocsp` process of that CA on an internal loopback port.

Usage: ocsp-proxy.py PORT:/path=BACKEND[,/path=BACKEND...] [PORT:...]
  e.g. ocsp-proxy.py 8888:/root=18881,/citizen-ca=18882 8889:/root=18884
POST /<ca> is forwarded as POST / ; GET /<ca>/<base64 request> as GET /<base64 request>.
One log line per request on stdout: public port, path, backend, status, bytes.
"""
import http.client
import http.server
import sys
import threading

MAX_BODY = 64 * 1024


def make_handler(port, routes):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"
        server_version = "sleutel-ocsp-proxy"

        def log_message(self, fmt, *args):  # quiet default log; we print our own line
            pass

        def route(self):
            path = self.path.split("?", 1)[0]
            for prefix, backend in routes.items():
                if path == prefix or path.startswith(prefix + "/"):
                    rest = path[len(prefix):] or "/"
                    return backend, rest
            return None, None

        def forward(self, method, body):
            backend, rest = self.route()
            if backend is None:
                return self.reply(404, b"no responder at this path\n", "text/plain")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", backend, timeout=10)
                headers = {"Connection": "close"}
                if body is not None:
                    headers["Content-Type"] = self.headers.get("Content-Type", "application/ocsp-request")
                conn.request(method, rest, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                ctype = resp.getheader("Content-Type", "application/ocsp-response")
                conn.close()
            except OSError as e:
                return self.reply(502, f"backend {backend} unreachable: {e}\n".encode(), "text/plain", backend)
            self.reply(resp.status, data, ctype, backend)

        def reply(self, status, data, ctype, backend=None):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            print(f"{port} {self.command} {self.path[:64]} -> {backend} {status} {len(data)}", flush=True)

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length <= 0 or length > MAX_BODY:
                return self.reply(413 if length > MAX_BODY else 400, b"bad request body length\n", "text/plain")
            self.forward("POST", self.rfile.read(length))

        def do_GET(self):
            self.forward("GET", None)

    return Handler


def main(argv):
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    servers = []
    for spec in argv:
        port_text, _, route_text = spec.partition(":")
        routes = {}
        for item in route_text.split(","):
            prefix, _, backend = item.partition("=")
            routes[prefix.rstrip("/")] = int(backend)
        port = int(port_text)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), make_handler(port, routes))
        server.daemon_threads = True
        servers.append(server)
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for t in threads:
        t.start()
    print("ocsp-proxy listening on " + ", ".join(str(s.server_address[1]) for s in servers), flush=True)
    try:
        for t in threads:
            t.join()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
