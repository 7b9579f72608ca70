import Foundation

/// A hostile web site on another loopback origin, for the kiosk attack tests: a small Python
/// HTTP server (`python3`, written out by the test) with two roles.
///
/// - `http://127.0.0.1:PORT/attack` is an ordinary cross-origin page whose script tries to read
///   the kiosk's `/state`, sends three wrong PINs to `/pin` as `text/plain` no-cors bodies, one as
///   `application/json` (which needs a CORS preflight), submits a `text/plain` form that spells
///   JSON, and frames the kiosk page.
/// - As an HTTP proxy (Chromium's `--proxy-server`) it plays DNS rebinding for the host
///   `rebind.test`: the first `GET /` of `http://rebind.test:KIOSKPORT/` gets the attacker's page;
///   from then on the name "resolves" to the kiosk and every request is passed on to
///   127.0.0.1:KIOSKPORT unchanged (`Host: rebind.test:KIOSKPORT`). The page's script is then
///   same-origin with whatever answers: it reads `/state`, reads `/` for the page token, and sends
///   three wrong PINs with the token and `application/json`.
///
/// Both pages write what their script saw into `<pre id="log">`, one line per step, ending `DONE`.
final class KioskAttacker {
    let process = Process()
    let port: Int
    let kioskPort: Int
    private let directory: URL

    init(kioskPort: Int) throws {
        self.kioskPort = kioskPort
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sleutel-kiosk-attacker-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let script = directory.appendingPathComponent("attacker.py")
        try Self.server.write(to: script, atomically: true, encoding: .utf8)
        try Self.attackPage.write(to: directory.appendingPathComponent("attack.html"), atomically: true, encoding: .utf8)
        try Self.rebindPage.write(to: directory.appendingPathComponent("rebind.html"), atomically: true, encoding: .utf8)
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script.path, String(kioskPort), directory.path]
        process.standardOutput = output
        process.standardError = TestLogs.file("kiosk-attacker")
        try process.run()
        var buffer = ""
        let deadline = Date().addingTimeInterval(10)
        while !buffer.contains("\n"), Date() < deadline, process.isRunning {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { usleep(20_000); continue }
            buffer += String(decoding: chunk, as: UTF8.self)
        }
        guard let port = Int(buffer.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw RawHTTP.Failure(description: "the attacker server did not start: \(buffer)")
        }
        self.port = port
    }

    var attackURL: String { "http://127.0.0.1:\(port)/attack" }
    var rebindURL: String { "http://rebind.test:\(kioskPort)/" }

    /// The lines the page's script logged, from a DOM dumped by `chromium --dump-dom`.
    static func log(in dom: String) -> [String] {
        guard let start = dom.range(of: #"<pre id="log">"#), let end = dom.range(of: "</pre>", range: start.upperBound..<dom.endIndex) else {
            return []
        }
        return dom[start.upperBound..<end.lowerBound].split(separator: "\n").map(String.init)
    }

    deinit {
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(5)
            while process.isRunning, Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    private static let server = #"""
        import http.client, http.server, os, signal, sys, threading, urllib.parse

        # Started from a thread that blocks signals (libdispatch workers do), this process would
        # inherit the mask and never see the test's SIGTERM.
        signal.pthread_sigmask(signal.SIG_SETMASK, [])

        KIOSK = int(sys.argv[1])
        PAGES = sys.argv[2]
        state = {"rebound": False}
        lock = threading.Lock()

        def page(name):
            with open(os.path.join(PAGES, name), encoding="utf-8") as f:
                return f.read().replace("KIOSKPORT", str(KIOSK)).encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):   # nothing of what passes through is logged
                pass

            def reply(self, status, body, kind="text/html; charset=utf-8"):
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def handle_any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                target = urllib.parse.urlsplit(self.path)
                if not target.netloc:   # a direct request: the attacker's own origin
                    if self.path == "/attack":
                        return self.reply(200, page("attack.html"))
                    return self.reply(404, b"no")
                if target.hostname != "rebind.test":
                    return self.reply(502, b"this proxy only knows rebind.test")
                with lock:
                    first = not state["rebound"] and (target.path or "/") == "/"
                    if first:
                        state["rebound"] = True
                if first:   # rebind.test still points at the attacker
                    return self.reply(200, page("rebind.html"))
                # rebind.test now points at 127.0.0.1: the request goes to the kiosk as it is.
                path = target.path or "/"
                if target.query:
                    path += "?" + target.query
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("proxy-connection", "connection", "keep-alive")}
                connection = http.client.HTTPConnection("127.0.0.1", KIOSK, timeout=20)
                connection.request(self.command, path, body=body, headers=headers)
                answer = connection.getresponse()
                data = answer.read()
                self.send_response(answer.status)
                for k, v in answer.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length", "keep-alive"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_OPTIONS = do_HEAD = handle_any

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """#

    private static let attackPage = #"""
        <!doctype html>
        <html><head><meta charset="utf-8"><title>Gratis wifi</title></head>
        <body>
        <pre id="log"></pre>
        <iframe name="sink" id="sink"></iframe>
        <iframe id="framed" src="http://127.0.0.1:KIOSKPORT/"></iframe>
        <form id="form" method="POST" action="http://127.0.0.1:KIOSKPORT/pin" enctype="text/plain" target="sink">
          <input type="hidden" name='{"pin":"4444","pad":"' value='"}'>
        </form>
        <script>
        "use strict";
        const kiosk = "http://127.0.0.1:KIOSKPORT";
        const log = line => { document.getElementById("log").textContent += line + "\n"; };
        const pause = ms => new Promise(done => setTimeout(done, ms));
        async function attack() {
          try { const r = await fetch(kiosk + "/state"); log("STATE-READ " + r.status + " " + (await r.text()).slice(0, 300)); }
          catch (e) { log("STATE-BLOCKED " + e.name); }
          try {
            const r = await fetch(kiosk + "/state", { mode: "no-cors" }); const t = await r.text();
            log("STATE-NOCORS " + r.type + " " + t.length + " " + t.slice(0, 300));
          }
          catch (e) { log("STATE-NOCORS-FAILED " + e.name); }
          for (const pin of ["0000", "9999", "5555"]) {
            try {
              const r = await fetch(kiosk + "/pin", { method: "POST", mode: "no-cors", headers: { "Content-Type": "text/plain" },
                                                      body: JSON.stringify({ pin }) });
              const t = await r.text();
              log("PIN-TEXTPLAIN " + r.type + " " + r.status + " " + t.slice(0, 300));
            } catch (e) { log("PIN-TEXTPLAIN-FAILED " + e.name); }
          }
          try {
            const r = await fetch(kiosk + "/pin", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ pin: "7777" }) });
            log("PIN-JSON-READ " + r.status + " " + (await r.text()).slice(0, 300));
          } catch (e) { log("PIN-JSON-BLOCKED " + e.name); }
          document.getElementById("form").submit();
          await pause(1500);
          try { log("FORM-ANSWER-READ " + document.getElementById("sink").contentDocument.body.innerText.slice(0, 300)); }
          catch (e) { log("FORM-ANSWER-BLOCKED " + e.name); }
          try { log("FRAME-READ " + document.getElementById("framed").contentDocument.body.innerText.slice(0, 300)); }
          catch (e) { log("FRAME-BLOCKED " + e.name); }
          log("DONE");
        }
        attack();
        </script>
        </body></html>
        """#

    private static let rebindPage = #"""
        <!doctype html>
        <html><head><meta charset="utf-8"><title>Gratis wifi</title></head>
        <body>
        <pre id="log"></pre>
        <script>
        "use strict";
        const log = line => { document.getElementById("log").textContent += line + "\n"; };
        async function attack() {
          try { const r = await fetch("/state"); log("STATE-READ " + r.status + " " + (await r.text()).slice(0, 300)); }
          catch (e) { log("STATE-BLOCKED " + e.name); }
          let token = "";
          try {
            const r = await fetch("/");
            const t = await r.text();
            const m = t.match(/name="sleutel-kiosk-token" content="([^"]+)"/);
            if (m) token = m[1];
            log("PAGE-READ " + r.status + " " + t.length + (token ? " with-token" : " no-token"));
          } catch (e) { log("PAGE-BLOCKED " + e.name); }
          for (const pin of ["0000", "9999", "5555"]) {
            try {
              const r = await fetch("/pin", { method: "POST", headers: { "Content-Type": "application/json", "X-Sleutel-Kiosk-Token": token },
                                              body: JSON.stringify({ pin }) });
              log("PIN-ANSWER " + r.status + " " + (await r.text()).slice(0, 300));
            } catch (e) { log("PIN-BLOCKED " + e.name); }
          }
          log("DONE");
        }
        attack();
        </script>
        </body></html>
        """#
}
