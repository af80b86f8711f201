"""The scale benchmarks reuse a corpus on disk only when it is what the generator builds now."""

import json

import pytest

from codecurate.dev import scale
from codecurate.dev.bench.scale import ensure_corpus


@pytest.fixture
def builds(monkeypatch):
    calls = []

    def build_scale(path, mb, seed, next_export=False):
        calls.append((mb, seed, next_export))
        return {"head_files": 1, "head_bytes": 1, "blob_bytes": 1, "seconds": 0.0}

    monkeypatch.setattr(scale, "build_scale", build_scale)
    return calls


def marker(path, **info):
    path.mkdir(exist_ok=True)
    base = {"scale_mb": 30, "seed": 0, "generator": scale.GENERATOR_VERSION, "next": "next/next_export.json"}
    (path / "sample.json").write_text(json.dumps({**base, **info}))


def test_a_corpus_of_this_generator_is_reused(tmp_path, builds):
    marker(tmp_path / "c")
    assert ensure_corpus(tmp_path / "c", 30, 0, next_export=True) == tmp_path / "c"
    assert builds == []


@pytest.mark.parametrize("info", [{"generator": 1}, {"generator": None}, {"scale_mb": 40}, {"seed": 1},
                                  {"next": None}])
def test_another_corpus_is_rebuilt(tmp_path, builds, info):
    marker(tmp_path / "c", **info)
    ensure_corpus(tmp_path / "c", 30, 0, next_export=True)
    assert builds == [(30, 0, True)]
