import gzip
import hashlib
import io

from codecurate.reasons import DropReason
from codecurate.spark import blobs

SHA = "0123456789abcdef0123456789abcdef01234567"


def store(tmp_path, data: bytes, key: str = SHA):
    path = tmp_path / "content" / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return str(tmp_path)


def test_gzip_bomb_is_read_only_to_the_cap():
    bomb = gzip.compress(b"\0" * (50 * 1024 * 1024))  # 50 MiB of zeros, ~50 KB compressed
    data = blobs.read_gzip_capped(io.BytesIO(bomb), cap=1000)
    assert len(data) == 1001


def sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


HELLO = b"hello\n"
HELLO_SHA1 = "f572d396fae9206628714fb2ce00f72e94f2258f"  # `sha1sum` of "hello\n"
HELLO_GIT = "ce013625030ba8dba906f756967f9e9ca394464a"  # `git hash-object` of "hello\n"


def test_load_reasons(tmp_path):
    root = store(tmp_path, gzip.compress(HELLO), HELLO_SHA1)
    assert blobs.load(root, HELLO_SHA1, 6, None, 100) == blobs.Blob("hello\n", "UTF-8", None)
    assert blobs.load(root, HELLO_SHA1, 7, None, 100).reason is DropReason.CORRUPT_BLOB  # size lie
    assert blobs.load(root, HELLO_SHA1, 6, None, 5).reason is DropReason.TOO_LARGE
    assert blobs.load(root, "f" * 40, 6, None, 100).reason is DropReason.MISSING_BLOB
    assert blobs.load(root, "../../etc/passwd", 6, None, 100).reason is DropReason.MISSING_BLOB
    assert blobs.load(None, HELLO_SHA1, 6, None, 100).reason is DropReason.MISSING_BLOB
    store(tmp_path, b"not gzip at all", HELLO_SHA1)
    assert blobs.load(root, HELLO_SHA1, 6, None, 100).reason is DropReason.CORRUPT_BLOB
    store(tmp_path, gzip.compress(b"a\x00b"), sha1(b"a\x00b"))
    assert blobs.load(root, sha1(b"a\x00b"), 3, None, 100).reason is DropReason.BINARY


def test_content_is_checked_against_its_ids(tmp_path):
    assert blobs.git_blob_id(HELLO) == HELLO_GIT
    # same length, other bytes, stored under hello's key: a tampered object
    root = store(tmp_path, gzip.compress(b"HELLO\n"), HELLO_SHA1)
    assert blobs.load(root, HELLO_SHA1, 6, None, 100).reason is DropReason.CORRUPT_BLOB
    store(tmp_path, gzip.compress(HELLO), HELLO_SHA1)
    assert blobs.load(root, HELLO_SHA1, 6, None, 100, HELLO_GIT).reason is None
    # the store key matches but the export's sha1_git names other bytes
    assert blobs.load(root, HELLO_SHA1, 6, None, 100, "0" * 40).reason is DropReason.CORRUPT_BLOB
    # inline content.data is checked the same way
    assert blobs.load(None, HELLO_SHA1, 6, b"HELLO\n", 100).reason is DropReason.CORRUPT_BLOB
    assert blobs.load(None, HELLO_SHA1, 6, HELLO, 100, HELLO_GIT).content == "hello\n"


def test_inline_data_and_decoding():
    assert blobs.load(None, sha1(b"abc"), 3, b"abc", 100) == blobs.Blob("abc", "UTF-8", None)
    text = "café crème brûlée, déjà vu\n"
    data = text.encode("cp1252")
    assert blobs.load(None, sha1(data), None, data, 100) == blobs.Blob(text, "windows-1252", None)
    russian = "Привет мир, это тест кодировки\n"
    assert blobs.decode(russian.encode("cp1251")) == (russian, "windows-1251")
