"""Detectors a Python process loads once and keeps for its life (ScanCode's index, guesslang's model)."""

from __future__ import annotations

import gc


def keep_resident() -> None:
    """Take everything loaded so far out of the cyclic garbage collector's sight.

    PySpark's daemon runs a full gc.collect() after every task of a reused Python worker, and a
    full collection visits every object the process tracks: with ScanCode's index loaded
    (~1.3M objects) that was ~0.33 s a task, and TensorFlow added ~0.15 s, paid by every task
    of every later stage and of the release (which took 8.6 s instead of ~4 on the scale
    corpus). Frozen objects are never collected; these are kept for the worker's life anyway.
    """
    gc.collect()  # what is already garbage goes now, not frozen with the rest
    gc.freeze()
