import gzip
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


def test_load_reasons(tmp_path):
    root = store(tmp_path, gzip.compress(b"hello\n"))
    assert blobs.load(root, SHA, 6, None, 100) == blobs.Blob("hello\n", "UTF-8", None)
    assert blobs.load(root, SHA, 7, None, 100).reason is DropReason.CORRUPT_BLOB  # size lie
    assert blobs.load(root, SHA, 6, None, 5).reason is DropReason.TOO_LARGE
    assert blobs.load(root, "f" * 40, 6, None, 100).reason is DropReason.MISSING_BLOB
    assert blobs.load(root, "../../etc/passwd", 6, None, 100).reason is DropReason.MISSING_BLOB
    assert blobs.load(None, SHA, 6, None, 100).reason is DropReason.MISSING_BLOB
    store(tmp_path, b"not gzip at all")
    assert blobs.load(root, SHA, 6, None, 100).reason is DropReason.CORRUPT_BLOB
    store(tmp_path, gzip.compress(b"a\x00b"))
    assert blobs.load(root, SHA, 3, None, 100).reason is DropReason.BINARY


def test_inline_data_and_decoding():
    assert blobs.load(None, SHA, 3, b"abc", 100) == blobs.Blob("abc", "UTF-8", None)
    text = "café crème brûlée, déjà vu\n"
    assert blobs.load(None, SHA, None, text.encode("cp1252"), 100) == blobs.Blob(text, "windows-1252", None)
    russian = "Привет мир, это тест кодировки\n"
    assert blobs.decode(russian.encode("cp1251")) == (russian, "windows-1251")
