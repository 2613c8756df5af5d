"""The screenshot checker's PNG reader, on images written with every PNG row filter."""

from __future__ import annotations

import struct
import zlib

import pytest

from tests.demo import png


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def _encode(rows: list[bytes], width: int, filters: list[int], bpp: int = 3) -> bytes:
    raw, previous = b"", bytes(width * bpp)
    for row, kind in zip(rows, filters):
        out = bytearray()
        for i, value in enumerate(row):
            left = row[i - bpp] if i >= bpp else 0
            up = previous[i]
            upper_left = previous[i - bpp] if i >= bpp else 0
            predictor = [0, left, up, (left + up) // 2, _paeth(left, up, upper_left)][kind]
            out.append((value - predictor) & 0xFF)
        raw += bytes([kind]) + bytes(out)
        previous = row
    header = struct.pack(">IIBBBBB", width, len(rows), 8, 2, 0, 0, 0)
    return png.SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw)) + _chunk(b"IEND", b"")


def test_every_filter_decodes_to_the_pixels_written():
    width = 4
    rows = [bytes((x * 60 + y * 17 + c * 90) % 256 for x in range(width) for c in range(3)) for y in range(5)]
    image = png.read(_encode(rows, width, filters=[0, 1, 2, 3, 4]))
    assert (image.width, image.height) == (4, 5)
    assert image.rows == rows
    assert image.pixel(1, 2) == tuple(rows[2][3:6])
    assert len(image.distinct_colours()) == 20


def test_a_blank_image_is_one_colour():
    rows = [bytes([255] * 12) for _ in range(4)]
    image = png.read(_encode(rows, 4, filters=[0, 1, 2, 4]))
    assert image.distinct_colours() == {(255, 255, 255)}
    assert image.share_of_most_common_colour() == 1.0


def test_other_files_are_refused():
    with pytest.raises(ValueError, match="not a PNG"):
        png.read(b"GIF89a")
