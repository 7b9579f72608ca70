#!/usr/bin/env python3
"""Generates the card photos Hardware/cards/photos/<profile>.jpg (TEST data).

Each photo is an 8-bit greyscale baseline JPEG of 140x200 px (the pre-2021 eID photo size,
spec §2.1) showing a drawn silhouette, the person's initials and the word SPECIMEN, sized
2-4 KB like real card photos. Needs Pillow, which is NOT a project dependency: run it once
in a throw-away virtualenv and commit the JPEGs:

    python3 -m venv /tmp/pil && /tmp/pil/bin/pip install pillow
    /tmp/pil/bin/python Tools/test-pki/make-photos.py
"""
import glob
import io
import json
import os
import sys

from PIL import Image, ImageDraw, ImageFont

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CARDS = os.path.join(REPO, "Hardware", "cards")
W, H = 140, 200
MIN_SIZE, MAX_SIZE = 2048, 4096


def font(size, bold=True):
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for d in ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu"):
        p = os.path.join(d, name)
        if os.path.exists(p):
            return ImageFont.truetype(p, size)
    return ImageFont.load_default()


def draw(profile, variant):
    ident = profile["identity"]
    given = ident["givenNames"].split()
    initials = (given[0][0] if given else "") + ident["surname"][0]
    img = Image.new("L", (W, H), 0)
    d = ImageDraw.Draw(img)
    # vertical background gradient, shade varies per profile
    for y in range(H):
        d.line([(0, y), (W, y)], fill=200 + variant % 30 - y // 10)
    skin, hair, cloth = 150 + variant % 40, 40 + variant % 50, 70 + (variant * 7) % 60
    d.ellipse([18, 150, 122, 260], fill=cloth)               # shoulders
    d.rectangle([58, 120, 82, 160], fill=skin)                # neck
    d.ellipse([38, 40, 102, 130], fill=skin)                  # face
    d.chord([36, 30, 104, 100], 180, 360, fill=hair)          # hair
    d.ellipse([52, 75, 60, 81], fill=30)                      # eyes
    d.ellipse([80, 75, 88, 81], fill=30)
    d.arc([58, 95, 82, 112], 20, 160, fill=60, width=2)       # mouth
    f = font(22)
    tw = d.textlength(initials, font=f)
    d.text(((W - tw) / 2, 168), initials, fill=235, font=f)
    s = font(11)
    tw = d.textlength("SPECIMEN", font=s)
    d.text(((W - tw) / 2, 8), "SPECIMEN", fill=20, font=s)
    return img


def encode(img):
    # pick the highest quality that stays within the size window
    best = None
    for q in range(95, 10, -5):
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=q, optimize=True)
        data = buf.getvalue()
        if MIN_SIZE <= len(data) <= MAX_SIZE:
            return data
        if len(data) < MIN_SIZE and best is None:
            best = data
    if best is None:
        sys.exit("make-photos: could not fit the photo into 2-4 KB")
    return best


def main():
    os.makedirs(os.path.join(CARDS, "photos"), exist_ok=True)
    for i, path in enumerate(sorted(glob.glob(os.path.join(CARDS, "*.json")))):
        profile = json.load(open(path, encoding="utf-8"))
        out = os.path.join(CARDS, profile["photo"])
        data = encode(draw(profile, i * 11))
        with open(out, "wb") as f:
            f.write(data)
        print(f"{os.path.relpath(out, REPO)}: {len(data)} bytes")


if __name__ == "__main__":
    main()
