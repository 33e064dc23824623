#!/usr/bin/env python3
"""Renders a terminal capture (`tmux capture-pane -e -p`: text with SGR
colour sequences) to a PNG, cell by cell, in DejaVu Sans Mono.

    render.py CAPTURE.ansi OUT.png --cols 96 --rows 30 [--cursor X,Y]

Needs pyte (the terminal emulator that interprets the capture) and Pillow.
"""

import argparse
import os
import re

import pyte
from PIL import Image, ImageDraw, ImageFont

FONT_DIRS = ["/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu"]
FONT_SIZE = 15
PAD = 10

# The terminal's own colours, for cells that name none (24-bit colours,
# which Neovim sends with 'termguicolors', come through as they are).
DEFAULT_FG = (0xD0, 0xD0, 0xD0)
DEFAULT_BG = (0x1C, 0x1C, 0x1C)
ANSI = {
    "black": (0x1C, 0x1C, 0x1C),
    "red": (0xE0, 0x6C, 0x75),
    "green": (0x98, 0xC3, 0x79),
    "brown": (0xE5, 0xC0, 0x7B),
    "yellow": (0xE5, 0xC0, 0x7B),
    "blue": (0x61, 0xAF, 0xEF),
    "magenta": (0xC6, 0x78, 0xDD),
    "cyan": (0x56, 0xB6, 0xC2),
    "white": (0xD0, 0xD0, 0xD0),
    "brightblack": (0x5C, 0x63, 0x70),
    "brightred": (0xFF, 0x7A, 0x85),
    "brightgreen": (0xB5, 0xE8, 0x90),
    "brightbrown": (0xFF, 0xD8, 0x8A),
    "brightyellow": (0xFF, 0xD8, 0x8A),
    "brightblue": (0x7D, 0xC4, 0xFF),
    "brightmagenta": (0xDE, 0x94, 0xF5),
    "brightcyan": (0x6F, 0xD0, 0xDC),
    "brightwhite": (0xFF, 0xFF, 0xFF),
}


def colour(name, default):
    if name == "default":
        return default
    if name in ANSI:
        return ANSI[name]
    if len(name) == 6:
        try:
            return tuple(int(name[i : i + 2], 16) for i in (0, 2, 4))
        except ValueError:
            pass
    return default


def font(style):
    for d in FONT_DIRS:
        path = os.path.join(d, f"DejaVuSansMono{style}.ttf")
        if os.path.exists(path):
            return ImageFont.truetype(path, FONT_SIZE)
    raise SystemExit(f"DejaVu Sans Mono{style} not found (apt-get install fonts-dejavu-core)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("capture")
    ap.add_argument("out")
    ap.add_argument("--cols", type=int, required=True)
    ap.add_argument("--rows", type=int, required=True)
    ap.add_argument("--cursor", help="X,Y of the cursor cell (0-based), drawn as a block")
    args = ap.parse_args()

    screen = pyte.Screen(args.cols, args.rows)
    stream = pyte.Stream(screen)
    with open(args.capture, encoding="utf-8", errors="replace") as f:
        text = f.read()
    # pyte does not know underline colours (SGR 58/59) and would read their
    # numbers as other attributes; underlines are drawn in the text colour.
    text = re.sub(r"\x1b\[5[89](?:[;:][0-9:;]*)?m", "", text)
    lines = text.split("\n")
    # capture-pane ends each row with a newline; the emulator needs the
    # carriage return too, and none after the last row (no scrolling).
    stream.feed("\r\n".join(lines[: args.rows]))

    regular, bold, italic = font(""), font("-Bold"), font("-Oblique")
    cw = round(regular.getlength("M"))
    ch = round(FONT_SIZE * 1.3)
    img = Image.new("RGB", (args.cols * cw + 2 * PAD, args.rows * ch + 2 * PAD), DEFAULT_BG)
    draw = ImageDraw.Draw(img)
    cursor = tuple(int(v) for v in args.cursor.split(",")) if args.cursor else None

    for y in range(args.rows):
        row = screen.buffer[y]
        for x in range(args.cols):
            c = row[x]
            fg, bg = colour(c.fg, DEFAULT_FG), colour(c.bg, DEFAULT_BG)
            if c.reverse != (cursor == (x, y)):
                fg, bg = bg, fg
            x0, y0 = PAD + x * cw, PAD + y * ch
            if bg != DEFAULT_BG:
                draw.rectangle([x0, y0, x0 + cw - 1, y0 + ch - 1], fill=bg)
            if c.data and c.data != " ":
                f = bold if c.bold else italic if c.italics else regular
                draw.text((x0, y0 + (ch - FONT_SIZE) // 2 - 1), c.data, font=f, fill=fg)
            if c.underscore:
                draw.line([x0, y0 + ch - 2, x0 + cw - 1, y0 + ch - 2], fill=fg)

    # Few colours: a palette PNG is a fraction of the size.
    img = img.quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    img.save(args.out, optimize=True)
    print(f"{args.out}: {img.width}x{img.height}, {os.path.getsize(args.out)} bytes")


if __name__ == "__main__":
    main()
