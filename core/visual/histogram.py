"""A frame's colour histograms: how many pixels of each level, per colour channel.

Near-white pixels are left out, as WebPageTest does: a blank page is white, and leaving the
background out makes the histograms count what was painted on it, not the page's empty area.
"""

import io

import numpy as np
from numpy.typing import NDArray
from PIL import Image, UnidentifiedImageError

# A pixel whose three channels are all at least this is background (JPEG noise included).
WHITE = 250
LEVELS = 256

Histogram = NDArray[np.int64]  # shape (3, LEVELS): red, green, blue counts per level
Pixels = NDArray[np.uint8]  # shape (height, width, 3)


class FrameError(ValueError):
    """Bytes that are not a decodable image; the message says why."""


def decode(jpeg: bytes) -> Pixels:
    """The RGB pixels of an image (JPEG from the screencast; any format Pillow reads).

    Raises FrameError when the bytes cannot be decoded.
    """
    try:
        with Image.open(io.BytesIO(jpeg)) as image:
            return np.asarray(image.convert("RGB"), dtype=np.uint8)
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise FrameError(f"not a decodable image: {exc}") from exc


def histogram(pixels: Pixels) -> Histogram:
    """Per channel, the number of non-white pixels at each of the 256 levels."""
    flat = pixels.reshape(-1, 3)
    painted = flat[(flat < WHITE).any(axis=1)]
    return np.stack(
        [np.bincount(painted[:, channel], minlength=LEVELS) for channel in range(3)]
    ).astype(np.int64)


def blank() -> Histogram:
    """The histogram of a white viewport: nothing painted."""
    return np.zeros((3, LEVELS), dtype=np.int64)
