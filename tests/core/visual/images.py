"""Synthetic frames for the visual tests: a white viewport with coloured blocks painted on.

PNG, not JPEG: lossless, so a frame's histogram is exactly the pixels painted and every
expected value can be worked out by hand.
"""

import io

from PIL import Image

WIDTH, HEIGHT = 100, 100
BLACK, BLUE, RED = (0, 0, 0), (0, 0, 255), (255, 0, 0)


Block = tuple[tuple[int, int, int, int], tuple[int, int, int]]


def painted(*blocks: Block, fmt: str = "PNG") -> bytes:
    """A white 100 × 100 frame with ``blocks`` ((left, top, right, bottom), colour) filled."""
    image = Image.new("RGB", (WIDTH, HEIGHT), (255, 255, 255))
    for box, colour in blocks:
        image.paste(colour, box)
    out = io.BytesIO()
    image.save(out, fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return out.getvalue()


# Quarters of the viewport: 2,500 pixels each.
TOP_LEFT = (0, 0, 50, 50)
TOP_RIGHT = (50, 0, 100, 50)
BOTTOM_LEFT = (0, 50, 50, 100)
