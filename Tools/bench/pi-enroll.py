#!/usr/bin/env python3
"""Enrolls COUNT TOTP tokens (SHA-1, 6 digits, 30 s) with random seeds in a privacyIDEA database through
privacyIDEA's own library (privacyidea.lib.token.init_token, as /token/init does, without HTTP), and
writes their serials and seeds to OUT as "serial, hexkey, totp, 6, 30" lines (the OATH CSV format).

Usage: pi-enroll.py PI_CFG COUNT OUT
"""
import os
import sys
import time

from privacyidea.app import create_app
from privacyidea.lib.token import init_token


def main():
    config, count, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    app = create_app(config_name="production", config_file=config, silent=True)
    start = time.time()
    with app.app_context(), open(out, "w") as f:
        for i in range(count):
            serial = "BENCH%06d" % i
            key = os.urandom(20).hex()
            init_token({"type": "totp", "otpkey": key, "serial": serial, "otplen": 6,
                        "hashlib": "sha1", "timeStep": 30, "genkey": 0})
            f.write("%s, %s, totp, 6, 30\n" % (serial, key))
    print("enrolled %d TOTP tokens in %.1f s" % (count, time.time() - start))


if __name__ == "__main__":
    main()
