"""Fetching and decoding blobs: plain Python, one call per distinct blob.

Blobs live at `<root>/content/<sha1>`, gzip-compressed, as in the SWH public bucket
(s3://softwareheritage/content/<sha1>), or inline in `content.data` when an export carries data.
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from dataclasses import dataclass
from functools import lru_cache

import charset_normalizer

from codecurate.reasons import DropReason

_READ_CHUNK = 1 << 20

# Candidates for text that is not UTF-8: the legacy encodings source code is commonly found in.
# Open-ended detection mistakes short Western text for cp1250 or mac_roman ("crème" -> "crčme");
# a short list of the big legacy families avoids that, at the price of Central European
# cp1250 text reading as cp1252 (still text, a few letters off).
LEGACY_ENCODINGS = ["cp1252", "latin_1", "cp1251", "koi8_r", "shift_jis", "euc_jp", "gb18030",
                    "big5", "euc_kr", "cp1253", "cp1254", "cp1256", "iso8859_15"]


@dataclass(frozen=True)
class Blob:
    content: str | None  # decoded text, when the blob is kept
    encoding: str | None  # e.g. "UTF-8", "ISO-8859-1"; what the bytes were decoded from
    reason: DropReason | None  # why it was not kept


@lru_cache(maxsize=8)
def _filesystem(root: str):
    # Imported lazily so that local-only runs never touch pyarrow's cloud filesystems.
    from codecurate.spark.export import filesystem

    return filesystem(root)


def blob_location(root: str, sha1: str) -> str:
    return f"{root.rstrip('/')}/content/{sha1}"


def read_gzip_capped(raw_stream, cap: int) -> bytes:
    """Decompress at most cap + 1 bytes: a gzip bomb stops costing memory at the cap."""
    with gzip.GzipFile(fileobj=raw_stream, mode="rb") as stream:
        parts, total = [], 0
        while total <= cap:
            chunk = stream.read(min(_READ_CHUNK, cap + 1 - total))
            if not chunk:
                break
            parts.append(chunk)
            total += len(chunk)
        return b"".join(parts)


def fetch(root: str | None, sha1: str, cap: int) -> tuple[bytes | None, DropReason | None]:
    """The blob's bytes (up to cap + 1), or the reason there are none."""
    if root is None:
        return None, DropReason.MISSING_BLOB
    if not _is_sha1(sha1):
        # Never let a value from the export choose a path: only 40 hex digits pass.
        return None, DropReason.MISSING_BLOB
    location = blob_location(root, sha1)
    try:
        if "://" in root:
            fs, base = _filesystem(root)
            stream = fs.open_input_stream(blob_location(base, sha1), compression=None)
        else:
            stream = open(location, "rb")
    except FileNotFoundError:
        return None, DropReason.MISSING_BLOB
    except OSError as err:
        if "not found" in str(err).lower() or "no such file" in str(err).lower():
            return None, DropReason.MISSING_BLOB
        raise
    try:
        with stream:
            return read_gzip_capped(stream, cap), None
    except (OSError, EOFError, zlib.error):
        # gzip.BadGzipFile is an OSError; a truncated stream raises EOFError
        return None, DropReason.CORRUPT_BLOB


def _is_sha1(value: str) -> bool:
    return len(value) == 40 and all(c in "0123456789abcdef" for c in value)


# Bump when reading or decoding a blob changes (load, decode): an incremental run then decodes
# every blob again instead of carrying the earlier run's texts over.
DECODE_VERSION = 1


def decode(data: bytes) -> tuple[str | None, str | None]:
    """(text, encoding name), or (None, None) when no text encoding fits."""
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data, cp_isolation=LEGACY_ENCODINGS).best()
    if best is None:
        return None, None
    return str(best), _encoding_label(best.encoding)


def _encoding_label(python_name: str) -> str:
    # charset-normalizer speaks Python codec names; record the IANA-style names the-stack-v2 used.
    if python_name.startswith("cp125"):
        return "windows-" + python_name[2:]
    labels = {"latin_1": "ISO-8859-1", "iso8859_15": "ISO-8859-15", "koi8_r": "KOI8-R"}
    return labels.get(python_name, python_name.replace("_", "-").upper())


def git_blob_id(data: bytes) -> str:
    """git's blob id (SWH's sha1_git): sha1 over `blob <length>\\0` and the bytes."""
    digest = hashlib.sha1(b"blob %d\x00" % len(data))
    digest.update(data)
    return digest.hexdigest()


def matches_ids(data: bytes, sha1: str, sha1_git: str | None) -> bool:
    """The bytes are the ones the export names: their sha1 (the store key) and, where the
    export carries it, their sha1_git. A store object of the right length but other content
    (a tampered or mixed-up object) fails here."""
    if hashlib.sha1(data).hexdigest() != sha1:
        return False
    return sha1_git is None or git_blob_id(data) == sha1_git


def load(root: str | None, sha1: str, length: int | None, inline: bytes | None, cap: int,
         sha1_git: str | None = None) -> Blob:
    """Fetch (or take inline), check size, identity and binary-ness, decode."""
    if inline is not None:
        data, reason = inline[: cap + 1], None
    else:
        data, reason = fetch(root, sha1, cap)
    if reason is not None:
        return Blob(None, None, reason)
    if len(data) > cap:
        return Blob(None, None, DropReason.TOO_LARGE)
    if length is not None and len(data) != length:
        # The archive says one size and the store holds another: truncated or wrong object.
        return Blob(None, None, DropReason.CORRUPT_BLOB)
    if not matches_ids(data, sha1, sha1_git):
        # Every byte published must be the archived file: hashing costs ~1.5 ms/MB, far less
        # than fetching and decoding.
        return Blob(None, None, DropReason.CORRUPT_BLOB)
    if b"\x00" in data:
        return Blob(None, None, DropReason.BINARY)
    text, encoding = decode(data)
    if text is None:
        return Blob(None, None, DropReason.UNDECODABLE)
    return Blob(text, encoding, None)
