"""Process memory habits of the server: holding off the cyclic GC while big HARs are handled."""

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_gc_lock = threading.Lock()
_gc_pausers = 0
_gc_resume = True


@contextmanager
def gc_paused() -> Iterator[None]:
    """Hold off Python's cyclic garbage collector while a large HAR is parsed and stored.

    A 2 MB HAR is tens of thousands of new dicts and lists: they trigger collections that walk
    the whole heap, which made an upload take 110 to 300 ms instead of a steady ~105 ms
    (bench/loop.py). The trees are acyclic and freed by reference counting, so nothing leaks;
    the collector comes back when the last pauser (of any thread) is done.
    """
    global _gc_pausers, _gc_resume
    with _gc_lock:
        _gc_pausers += 1
        if _gc_pausers == 1:
            _gc_resume = gc.isenabled()
            gc.disable()
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pausers -= 1
            if _gc_pausers == 0 and _gc_resume:
                gc.enable()
