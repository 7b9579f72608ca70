#!/usr/bin/python3
"""Parses one RFC 5322 message with Python's email package (an independent reader for the tests)
and prints what a mail client would show, as JSON: decoded subject, addresses, body, MIME details
and any defects the parser found.  Usage: parse-mail.py FILE.eml"""
import email
import email.policy
import json
import sys

with open(sys.argv[1], "rb") as f:
    raw = f.read()
message = email.message_from_bytes(raw, policy=email.policy.default)
date = message["Date"]
print(json.dumps({
    "subject": str(message["Subject"]),
    "from": str(message["From"]),
    "from_name": message["From"].addresses[0].display_name if message["From"] else None,
    "from_address": message["From"].addresses[0].addr_spec if message["From"] else None,
    "to": [a.addr_spec for a in message["To"].addresses] if message["To"] else [],
    "date": date.datetime.isoformat() if date is not None and date.datetime is not None else None,
    "message_id": str(message["Message-ID"]),
    "mime_version": str(message["MIME-Version"]),
    "content_type": message.get_content_type(),
    "charset": message.get_content_charset(),
    "transfer_encoding": str(message["Content-Transfer-Encoding"]),
    "auto_submitted": message["Auto-Submitted"] and str(message["Auto-Submitted"]),
    "body": message.get_content(),
    "defects": [type(d).__name__ for d in message.defects],
    "header_defects": [type(d).__name__ for k in message.keys() for d in getattr(message[k], "defects", ())],
}))
