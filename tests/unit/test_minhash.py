import random

import numpy as np
import pytest

from codecurate.text import minhash as M


def test_tokens_lowercase_and_split_on_non_word_characters():
    assert M.tokens("def Foo_bar(x):\n  return x+1  # Ünïcode ok") == [
        "def", "foo_bar", "x", "return", "x", "1", "ünïcode", "ok"]
    assert M.tokens(" \n\t(){}") == []


def test_shingles_are_the_set_of_word_ngrams():
    words = ["a", "b", "c", "a", "b", "c"]
    assert M.shingles(words, 3) == {b"a b c", b"b c a", b"c a b"}
    assert M.shingles(["x", "y"], 5) == {b"x y"}  # shorter than n: one shingle of it all
    assert M.shingles([], 5) == set()


def test_short_and_missing_texts_get_no_signature():
    assert M.signature("one two three four", 64, 1, 5, min_tokens=5) is None
    assert M.signature(None, 64, 1, 5, min_tokens=5) is None
    sig = M.signature("one two three four five", 64, 1, 5, min_tokens=5)
    assert isinstance(sig, bytes) and len(sig) == 64 * 4


def test_signature_depends_on_seed_and_not_on_case_or_punctuation():
    text = "alpha beta gamma delta epsilon zeta eta theta"
    sig = M.signature(text, 128, 7, 5, 5)
    assert sig == M.signature("Alpha, BETA; gamma\ndelta (epsilon) zeta eta theta!", 128, 7, 5, 5)
    assert sig != M.signature(text, 128, 8, 5, 5)


def _set_jaccard(a, b):
    return len(a & b) / len(a | b)


@pytest.mark.parametrize("keep", [0.95, 0.8, 0.5, 0.2])
def test_estimated_jaccard_tracks_true_jaccard(keep):
    rng = random.Random(3)
    base = [f"w{rng.randrange(10**6)}" for _ in range(3000)]
    edited = [w if rng.random() < keep else f"x{rng.randrange(10**6)}" for w in base]
    truth = _set_jaccard(M.shingles(base, 5), M.shingles(edited, 5))
    a = M.signature(" ".join(base), 256, 42, 5, 5)
    b = M.signature(" ".join(edited), 256, 42, 5, 5)
    # 256 permutations: standard error sqrt(J(1-J)/256) <= 0.031; allow 3.5 of them
    assert abs(M.estimated_jaccard(a, b) - truth) < 0.11


def test_lsh_parameters_for_the_default_threshold():
    assert M.lsh_params(0.7, 256) == (25, 10)


def test_band_keys_agree_exactly_where_band_values_agree():
    a = np.arange(40, dtype="<u4")
    b = a.copy()
    b[25] = 999  # third band (values 20..29) differs
    keys_a = M.band_keys(a.tobytes(), 4, 10)
    keys_b = M.band_keys(b.tobytes(), 4, 10)
    assert len(keys_a) == 4
    assert [x == y for x, y in zip(keys_a, keys_b, strict=True)] == [True, True, False, True]


def test_vectorised_jaccard_matches_the_pairwise_one():
    a = np.array([1, 2, 3, 4], dtype="<u4").tobytes()
    b = np.array([1, 2, 0, 0], dtype="<u4").tobytes()
    c = np.array([0, 0, 0, 0], dtype="<u4").tobytes()
    assert list(M.estimated_jaccards([a, a, b], [a, b, c])) == [1.0, 0.5, 0.5]
    assert M.estimated_jaccard(a, b) == 0.5
    with pytest.raises(ValueError, match="differ"):
        M.estimated_jaccard(a, a + a)
