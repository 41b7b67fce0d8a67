"""Pausing Python's cyclic garbage collector for one bulk step of a launcher.

A step that records 10,000 jobs at once (a journal of intents, of handles) allocates records
that all stay alive. The collector cannot free any of them, yet while the step runs it walks
the growing heap again and again (each full collection visits every live container): about
a third of such a step's time. Paused for the step, it runs after it, once. Reference
counting frees everything as usual meanwhile; only cycles wait until the step ends.
"""

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["gc_paused"]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic collector inside the block, if it was running (it resumes after).

    Yields:
        Nothing.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
