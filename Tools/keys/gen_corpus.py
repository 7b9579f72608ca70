#!/usr/bin/env python3
"""Generate a corpus of public keys (SPKI PEM files), strong and weak, for the key benchmark.

Only public halves are written. The kind is the label in each file name (NNNNN-KIND.pem); compare.py's
LABELS says what a correct checker answers for each kind under the NIST profile. Weak kinds: RSA-1024, close primes
(Fermat within 100 steps), medium-close primes (|p - q| ~ 2^520: Fermat needs ~8,000 steps), a small
factor, ROCA-structured primes, e=3, e=1, even modulus, small private exponent (Wiener), secp256k1,
Ed25519 small-order points and non-canonical encodings; X25519 keys are key-agreement keys (not
signature keys). Usage: gen_corpus.py DIR [COUNT] [SEED]
"""
import base64, os, random, sys

import gmpy2
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, x25519

out, count = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 2000
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
os.makedirs(out, exist_ok=True)


def prime(bits):
    return int(gmpy2.next_prime(rng.getrandbits(bits) | (3 << (bits - 2)) | 1))


def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def tlv(tag, body):
    return bytes([tag]) + der_len(len(body)) + body


def der_int(x):
    b = x.to_bytes(max(1, (x.bit_length() + 8) // 8), "big")
    return tlv(0x02, b)


def rsa_spki(n, e):
    alg = tlv(0x30, bytes.fromhex("06092a864886f70d0101010500"))
    return tlv(0x30, alg + tlv(0x03, b"\x00" + tlv(0x30, der_int(n) + der_int(e))))


def pem(der):
    b = base64.encodebytes(der).decode().replace("\n", "")
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "-----BEGIN PUBLIC KEY-----\n" + "\n".join(lines) + "\n-----END PUBLIC KEY-----\n"


# ROCA: p = k*M + (65537^a mod M); M includes 16, 81, 25 and the primes 7..167 so that both
# the paper's mod-p test and badkeys' prime-power test apply.
M = 16 * 81 * 25
for p in range(7, 168):
    if gmpy2.is_prime(p):
        M *= p


def roca_prime(bits):
    while True:
        g = pow(65537, rng.getrandbits(40), M)
        p = rng.getrandbits(bits - M.bit_length()) * M + g
        if p.bit_length() == bits and gmpy2.is_prime(p):
            return p


def weak_rsa(kind):
    e = 65537
    if kind == "rsa1024":
        n = prime(512) * prime(512)
    elif kind == "fermat":
        p = prime(1024)
        n = p * int(gmpy2.next_prime(p + rng.getrandbits(400)))
    elif kind == "fermat520":
        p = prime(1024)
        n = p * int(gmpy2.next_prime(p + (1 << 520) + rng.getrandbits(500)))
    elif kind == "smallfactor":
        n = int(gmpy2.next_prime(rng.getrandbits(16) | 0x8001)) * prime(2032)
    elif kind == "roca":
        n = roca_prime(1024) * roca_prime(1024)
    elif kind == "e3":
        n, e = prime(1024) * prime(1024), 3
    elif kind == "e1":
        n, e = prime(1024) * prime(1024), 1
    elif kind == "even":
        n = 2 * prime(1023) * prime(1024)
    elif kind == "wiener":
        p, q = prime(1024), prime(1024)
        n, phi = p * q, (p - 1) * (q - 1)
        while True:
            d = rng.getrandbits(250) | 1
            if gmpy2.gcd(d, phi) == 1:
                break
        e = int(gmpy2.invert(d, phi))
    return rsa_spki(n, e)


# The eight points of order dividing 8 on edwards25519 (RFC 8032 encoding).
ED25519_TORSION = [
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
]
P25519 = 2**255 - 19


def ed25519_spki(raw):
    return tlv(0x30, bytes.fromhex("300506032b6570") + tlv(0x03, b"\x00" + raw))


def noncanonical_ed25519():
    # y in [p, 2^255) (the value of a point's y plus p), or y = 1 (x = 0) with the sign bit set.
    if rng.random() < 0.5:
        return (1).to_bytes(31, "little") + b"\x80"
    return (P25519 + rng.randrange(2**255 - P25519)).to_bytes(32, "little")


plan = (["rsa1024", "fermat", "fermat520", "smallfactor", "roca", "e3", "e1", "even", "wiener"] * 2
        + ["secp256k1", "brainpool", "ed25519-torsion", "ed25519-noncanonical", "x25519", "ed448"]
        + ["p256", "p384", "ed25519"] * 2 + ["rsa3072"] + ["rsa2048"] * 75)
for i in range(count):
    kind = plan[i % len(plan)]
    if kind == "ed25519-torsion":
        text = pem(ed25519_spki(bytes.fromhex(rng.choice(ED25519_TORSION))))
    elif kind == "ed25519-noncanonical":
        text = pem(ed25519_spki(noncanonical_ed25519()))
    elif kind in ("x25519", "ed448"):
        private = x25519.X25519PrivateKey.generate() if kind == "x25519" else ed448.Ed448PrivateKey.generate()
        text = private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    elif kind in ("secp256k1", "brainpool", "p256", "p384"):
        curve = {"secp256k1": ec.SECP256K1(), "brainpool": ec.BrainpoolP256R1(),
                 "p256": ec.SECP256R1(), "p384": ec.SECP384R1()}[kind]
        text = ec.generate_private_key(curve).public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    elif kind == "ed25519":
        text = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    elif kind == "rsa2048":
        text = pem(rsa_spki(prime(1024) * prime(1024), 65537))
    elif kind == "rsa3072":
        text = pem(rsa_spki(prime(1536) * prime(1536), 65537))
    else:
        text = pem(weak_rsa(kind))
    with open(os.path.join(out, f"{i:05d}-{kind}.pem"), "w") as f:
        f.write(text)
