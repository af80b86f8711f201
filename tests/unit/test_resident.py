"""Detectors kept for a worker's life are taken out of the garbage collector's sight."""

from __future__ import annotations

import gc

from codecurate.text import licenses
from codecurate.text.resident import keep_resident


def test_keep_resident_freezes_what_is_loaded():
    gc.unfreeze()
    try:
        loaded = [[i] for i in range(10_000)]  # 10,001 tracked containers, like an index
        keep_resident()
        assert gc.get_freeze_count() >= len(loaded)
    finally:
        gc.unfreeze()


def test_scancode_is_frozen_once_loaded(monkeypatch):
    calls = []
    monkeypatch.setattr(licenses, "_scancode", None)
    monkeypatch.setattr(licenses, "_ScanCode", lambda: object())
    monkeypatch.setattr(licenses, "keep_resident", lambda: calls.append(1))
    first = licenses.scancode()
    assert licenses.scancode() is first and calls == [1]  # frozen when loaded, not per call
