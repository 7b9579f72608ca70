#!/usr/bin/python3
"""A real SMTP server on loopback for the tests (Debian's python3-aiosmtpd).

It keeps every message it takes as files in DIR:
  N.eml   the message exactly as received in DATA (after dot-unstuffing)
  N.json  {"id", "port", "mode", "tls", "auth", "helo", "mail_from", "rcpt_tos", "eml"}
          written after N.eml, by rename, so a reader that finds N.json finds a complete N.eml.

Listeners (all 127.0.0.1):
  --plain PORT     no TLS offered, no AUTH
  --starttls PORT  STARTTLS offered and required before MAIL; AUTH offered after STARTTLS
  --smtps PORT     TLS from the first byte (implicit TLS); AUTH offered
AUTH accepts exactly --user/--password (PLAIN and LOGIN); submitting without AUTH is allowed.
A recipient whose local part starts with "refuse" is answered
"550 5.1.1 <address>: Recipient address rejected" (the address echoed, as real servers do).

Usage: smtp-sink.py --dir DIR --cert CRT --key KEY --plain P --starttls P --smtps P [--user U --password W]
"""
import argparse
import asyncio
import json
import os
import signal
import ssl
import sys
import threading

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

COUNTER_LOCK = threading.Lock()


class Sink:
    def __init__(self, directory, port, mode):
        self.directory = directory
        self.port = port
        self.mode = mode

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.split("@")[0].lower().startswith("refuse"):
            return "550 5.1.1 <%s>: Recipient address rejected" % address
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        with COUNTER_LOCK:
            number = next_number(self.directory)
        name = "%06d" % number
        eml = os.path.join(self.directory, name + ".eml")
        with open(eml, "wb") as f:
            f.write(envelope.original_content)
        auth = session.auth_data.decode() if isinstance(session.auth_data, bytes) else session.auth_data
        meta = {
            "id": number,
            "port": self.port,
            "mode": self.mode,
            "tls": server.transport is not None and server.transport.get_extra_info("ssl_object") is not None,
            "auth": auth if session.authenticated else None,
            "helo": session.host_name,
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "eml": name + ".eml",
        }
        tmp = os.path.join(self.directory, name + ".json.tmp")
        with open(tmp, "w") as f:
            json.dump(meta, f)
        os.rename(tmp, os.path.join(self.directory, name + ".json"))
        print("message %s on %s (%s) tls=%s auth=%s rcpts=%d bytes=%d" % (
            name, self.port, self.mode, meta["tls"], meta["auth"] is not None, len(envelope.rcpt_tos),
            len(envelope.original_content)), flush=True)
        return "250 2.0.0 OK queued as %s" % name


def next_number(directory):
    path = os.path.join(directory, ".counter")
    try:
        with open(path) as f:
            value = int(f.read().strip() or "0") + 1
    except FileNotFoundError:
        value = 1
    with open(path, "w") as f:
        f.write(str(value))
    return value


def make_authenticator(user, password):
    def authenticate(server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        ok = user is not None and auth_data.login == user.encode() and auth_data.password == password.encode()
        return AuthResult(success=ok, handled=False, auth_data=auth_data.login.decode() if ok else None)
    return authenticate


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--plain", type=int, required=True)
    parser.add_argument("--starttls", type=int, required=True)
    parser.add_argument("--smtps", type=int, required=True)
    parser.add_argument("--user")
    parser.add_argument("--password")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.cert, args.key)
    authenticator = make_authenticator(args.user, args.password)
    loop = asyncio.get_running_loop()
    hostname = "sink.sleutel.test"

    servers = [
        await loop.create_server(
            lambda: SMTP(Sink(args.dir, args.plain, "plain"), hostname=hostname, loop=loop),
            "127.0.0.1", args.plain),
        await loop.create_server(
            lambda: SMTP(Sink(args.dir, args.starttls, "starttls"), hostname=hostname, tls_context=context,
                         require_starttls=True, authenticator=authenticator, auth_require_tls=True, loop=loop),
            "127.0.0.1", args.starttls),
        await loop.create_server(
            lambda: SMTP(Sink(args.dir, args.smtps, "smtps"), hostname=hostname, authenticator=authenticator,
                         auth_require_tls=False, loop=loop),
            "127.0.0.1", args.smtps, ssl=context),
    ]
    print("smtp sink: plain %d, starttls %d, smtps %d, messages in %s" % (
        args.plain, args.starttls, args.smtps, args.dir), flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for server in servers:
        server.close()
    print("smtp sink: stopped", flush=True)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except OSError as error:
        print("smtp sink: %s" % error, file=sys.stderr)
        sys.exit(1)
