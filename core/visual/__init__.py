"""Visual progress of a page load, from frames of its viewport: pure functions.

``histogram`` turns a JPEG into colour histograms, ``progress`` measures how far a frame is
from the start towards the final picture and derives the visual metrics (first visual change,
Speed Index, visually complete 85 % and 99 %, last visual change), ``filmstrip`` aligns the
captured frames to the navigation start and assembles what a run keeps of them, ``archive``
packs the kept frames for storage and checks an archive an agent delivered, and ``strip``
picks the frame shown at each tick of a filmstrip at a fixed interval.
"""
