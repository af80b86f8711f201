"""Tokens, shingles, MinHash signatures and LSH band keys for near-dedup. No pyspark here.

Recipe (as BigCode's near-dedup for The Stack v2): lowercase, split on non-word characters,
word n-gram shingles (n=5), datasketch MinHash over the set of shingles, LSH with b bands of
r rows. Signatures are datasketch's "affine32" scheme: `num_perm` uint32 values, stored as
little-endian bytes so that Spark can carry them as one binary column.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np
from datasketch import MinHash
from datasketch.lsh import _optimal_param

_WORD = re.compile(r"\w+")
SIGNATURE_DTYPE = np.dtype("<u4")


def tokens(text: str) -> list[str]:
    """Lowercased runs of word characters: the text split on non-word characters."""
    return _WORD.findall(text.lower())


def shingles(words: Sequence[str], ngram: int) -> set[bytes]:
    """The set of word n-grams, UTF-8 encoded (datasketch hashes bytes).

    A text shorter than `ngram` words is one shingle of all its words, so that a short file
    (when `min_tokens` < `ngram` lets it in) still gets a signature.
    """
    if len(words) < ngram:
        return {" ".join(words).encode()} if words else set()
    grams = zip(*(words[i:] for i in range(ngram)), strict=False)  # stops at the last full n-gram
    return {" ".join(gram).encode() for gram in grams}


@lru_cache(maxsize=4)
def _template(num_perm: int, seed: int) -> MinHash:
    # The permutations are drawn from `seed` once per Python worker; every signature is a copy.
    # The values fed to it are already 32-bit shingle hashes (shingle_hashes), so its hash
    # function only has to pass them through; the affine32 scheme pre-mixes every input with
    # MurmurHash3's finaliser before the permutations.
    return MinHash(num_perm=num_perm, seed=seed, hashfunc=int)


# Odd 32-bit multiplier (the golden ratio's): folds a word hash into the n-gram hash so far.
_FOLD = np.uint64(0x9E3779B1)
_MASK32 = np.uint64(0xFFFFFFFF)


def shingle_hashes(words: Sequence[str], ngram: int) -> np.ndarray:
    """32-bit hashes of the distinct word n-grams, without building the n-gram strings.

    Each distinct word is hashed once (CRC-32 of its UTF-8), and the n words of a shingle are
    folded in order, vectorised over the whole file. Same set of shingles as `shingles`, other
    bytes hashed: ~1.7x faster per file than joining and hashing every n-gram string, which
    was half of the signature time (profile on the stdlib: 0.27 of 0.77 s).
    """
    table = {word: zlib.crc32(word.encode()) for word in set(words)}
    hashes = np.fromiter((table[w] for w in words), dtype=np.uint64, count=len(words))
    if len(words) < ngram:  # a short text is one shingle of all its words, as in `shingles`
        ngram = len(words)
    count = len(words) - ngram + 1
    folded = hashes[:count].copy()
    for k in range(1, ngram):
        # (< 2**32) * (< 2**32) + (< 2**32) stays below 2**64: no overflow before the mask
        folded = (folded * _FOLD + hashes[k:k + count]) & _MASK32
    return np.unique(folded)


def signature(text: str | None, num_perm: int, seed: int, ngram: int,
              min_tokens: int) -> bytes | None:
    """MinHash signature bytes of `text`, or None if it has fewer than `min_tokens` tokens."""
    if text is None:
        return None
    words = tokens(text)
    if len(words) < min_tokens or not words:
        return None
    sketch = _template(num_perm, seed).copy()
    # One batched update per file: per-shingle `update` is ~7x slower (1.4 vs 9.7-10.8 MB/s per core).
    sketch.update_batch(shingle_hashes(words, ngram).tolist())
    return sketch.hashvalues.astype(SIGNATURE_DTYPE, copy=False).tobytes()


def signatures(texts: Iterable[str | None], num_perm: int, seed: int, ngram: int,
               min_tokens: int) -> list[bytes | None]:
    return [signature(t, num_perm, seed, ngram, min_tokens) for t in texts]


def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) minimising equally weighted false-positive and false-negative area.

    For threshold 0.7 and 256 permutations this is 25 bands x 10 rows (250 of the 256 values
    are banded; all 256 are used to verify). P(candidate | J) = 1 - (1 - J**10)**25:
    J=0.3: 0.0001, J=0.5: 0.024, J=0.7: 0.51, J=0.8: 0.94, J=0.9: 0.99998.
    """
    return _optimal_param(threshold, num_perm, 0.5, 0.5)


def band_keys(sig: bytes, bands: int, rows: int) -> list[int]:
    """One signed 64-bit key per band: a hash of the band's `rows` signature values.

    64 bits make an accidental key collision (~n^2 / 2^65 per band) negligible next to the
    LSH collisions themselves, and verification re-checks every candidate pair anyway.
    """
    width = rows * SIGNATURE_DTYPE.itemsize
    return [
        int.from_bytes(hashlib.blake2b(sig[i * width:(i + 1) * width], digest_size=8).digest(),
                       "little", signed=True)
        for i in range(bands)
    ]


def estimated_jaccard(a: bytes, b: bytes) -> float:
    """Share of equal signature values: the MinHash estimate of the Jaccard similarity."""
    left = np.frombuffer(a, dtype=SIGNATURE_DTYPE)
    right = np.frombuffer(b, dtype=SIGNATURE_DTYPE)
    if left.shape != right.shape:
        raise ValueError(f"signatures differ in length: {left.size} and {right.size} values")
    return float(np.count_nonzero(left == right)) / left.size


def estimated_jaccards(lefts: Sequence[bytes], rights: Sequence[bytes]) -> np.ndarray:
    """`estimated_jaccard` over two equal-length sequences of same-size signatures, vectorised."""
    if len(lefts) != len(rights):
        raise ValueError(f"{len(lefts)} left signatures but {len(rights)} right ones")
    if not lefts:
        return np.zeros(0)
    left = np.frombuffer(b"".join(lefts), dtype=SIGNATURE_DTYPE).reshape(len(lefts), -1)
    right = np.frombuffer(b"".join(rights), dtype=SIGNATURE_DTYPE).reshape(len(rights), -1)
    if left.shape != right.shape:
        raise ValueError(f"signature sizes differ: {left.shape} and {right.shape}")
    return np.count_nonzero(left == right, axis=1) / left.shape[1]
