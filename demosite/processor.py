"""The demo site's shared processor: a page whose server time grows with the requests served
at once, as a real server's does when they share its CPU.

Each request on ``/crowded?work=W`` needs W milliseconds of work, and every request in
flight gets an equal part of the processor (processor sharing): alone it takes W ms; N
arriving together each take about N × W ms. Load tests are tested against it (the
degradation curve must show the growth) and demos show one.
"""

from __future__ import annotations

import threading
import time

TICK_S = 0.005


class SharedProcessor:
    """The processor the requests on ``/crowded`` share; ``busiest`` is the most requests it
    served at once since start or ``reset``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active = 0
        self._generation = 0  # a reset abandons the work of earlier generations
        self.busiest = 0

    @property
    def active(self) -> int:
        """Requests being served now."""
        with self._lock:
            return self._active

    def serve(self, work_ms: int) -> int:
        """Block for ``work_ms`` of work at the share of the processor this request gets;
        returns the most requests served at once while it was (itself included)."""
        with self._lock:
            self._active += 1
            self.busiest = max(self.busiest, self._active)
            generation = self._generation
        peak, done, last = 1, 0.0, time.monotonic()
        try:
            while done < work_ms:
                time.sleep(TICK_S)
                now = time.monotonic()
                with self._lock:
                    if generation != self._generation:
                        break  # reset: this work is abandoned (its client left long ago)
                    sharing = self._active
                peak = max(peak, sharing)
                done += (now - last) * 1000 / sharing
                last = now
        finally:
            with self._lock:
                if generation == self._generation:
                    self._active -= 1
        return peak

    def reset(self) -> None:
        """Abandon the work in flight (a test's requests whose clients are gone: a server goes
        on with them, so without this they would share the processor with the next test's)
        and count ``busiest`` afresh."""
        with self._lock:
            self._generation += 1
            self._active = 0
            self.busiest = 0
