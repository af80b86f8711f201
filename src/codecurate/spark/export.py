"""Reading an SWH graph export with explicit schemas (never inferred)."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.fs as pafs
from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.pandas.types import from_arrow_schema
from pyspark.sql.types import BinaryType, DataType, StructField, StructType, TimestampNTZType, TimestampType

from codecurate.errors import UsageError
from codecurate.swh.tables import (
    CHECKED_HASH_COLUMNS,
    HASH_COLUMNS,
    OPTIONAL,
    REPO_METADATA,
    REQUIRED,
    SCHEMAS,
)

# Rows of each table whose hash columns are checked at start-up: a table written with raw
# bytes, upper case or truncated ids shows it in its first rows; the full scan is extract's.
HASH_SAMPLE_ROWS = 1000
# Visible content rows whose blobs are looked up at start-up: a blob path that is wrong (or
# holds another export's store) has none of them.
BLOB_SAMPLE_ROWS = 20


class ExportError(UsageError):
    """The export is missing a table or a table cannot be read; the message names it."""


def spark_schema(table: str) -> StructType:
    return from_arrow_schema(SCHEMAS[table])


def table_path(export: str, table: str) -> str:
    return f"{export.rstrip('/')}/orc/{table}"


def filesystem(uri: str) -> tuple[pafs.FileSystem, str]:
    """A pyarrow filesystem for a local path or a URI (s3://, s3a://, hdfs://, gs://)."""
    if "://" not in uri:
        return pafs.LocalFileSystem(), uri
    # Hadoop spells S3 `s3a://`; pyarrow spells it `s3://`. Same bucket, same keys.
    if uri.startswith("s3a://"):
        uri = "s3://" + uri[len("s3a://"):]
    try:
        return pafs.FileSystem.from_uri(uri)
    except (pa.ArrowInvalid, OSError) as err:
        raise ExportError(f"cannot open filesystem for {uri}: {err}") from err


def _orc_files(export: str, table: str) -> list[pafs.FileInfo]:
    fs, root = filesystem(table_path(export, table))
    try:
        infos = fs.get_file_info(pafs.FileSelector(root, recursive=True))
    except FileNotFoundError:
        return []
    except OSError as err:
        raise ExportError(f"cannot list table {table!r} at {table_path(export, table)}: {err}") from err
    return sorted((i for i in infos if i.is_file and i.path.endswith(".orc")), key=lambda i: i.path)


@dataclass(frozen=True)
class SwhExport:
    """Lazy frames of the tables extract needs, plus the repo metadata if there is any."""

    tables: dict[str, DataFrame]
    repo_metadata: DataFrame | None
    fingerprints: dict[str, str]  # table -> sha256 over (file name, size) of its ORC files

    def __getitem__(self, table: str) -> DataFrame:
        return self.tables[table]


def read_export(spark: SparkSession, export: str, repo_metadata: str | None = None) -> SwhExport:
    tables: dict[str, DataFrame] = {}
    fingerprints: dict[str, str] = {}
    for table in REQUIRED + OPTIONAL:
        files = _orc_files(export, table)
        if not files:
            if table in OPTIONAL:
                tables[table] = spark.createDataFrame([], spark_schema(table))
                fingerprints[table] = "absent"
                continue
            raise ExportError(
                f"table {table!r} is missing: no .orc files under {table_path(export, table)}"
            )
        fingerprints[table] = hashlib.sha256(
            json.dumps([[Path(i.path).name, i.size] for i in files]).encode()
        ).hexdigest()
        tables[table] = _read_orc(spark, export, table)
    _check_hash_samples(tables, export)
    metadata = _read_repo_metadata(spark, export, repo_metadata)
    return SwhExport(tables, metadata, fingerprints)


def _read_orc(spark: SparkSession, export: str, table: str) -> DataFrame:
    path = table_path(export, table)
    expected = spark_schema(table)
    try:
        # Inference reads a file footer: a foreign or corrupt table fails here, named, rather
        # than halfway through extract. It also tells us which columns the files really have:
        # with an explicit schema Spark would fill a missing column with nulls, silently.
        found = {f.name: f.dataType for f in spark.read.orc(path).schema.fields}
    except AnalysisException as err:
        raise ExportError(f"table {table!r} at {path} cannot be read: {err.getMessage()}") from err
    except Exception as err:  # corrupt files surface as assorted py4j/Spark errors
        raise ExportError(f"table {table!r} at {path} is corrupt or not ORC: {_first_line(err)}") from err
    missing = [f.name for f in expected.fields if f.name not in found]
    if missing:
        raise ExportError(f"table {table!r} at {path} lacks columns {missing}")
    hashes = HASH_COLUMNS.get(table, {})
    fields, binary = [], []
    for field in expected.fields:
        have = found[field.name]
        if field.name in hashes and isinstance(have, BinaryType):
            # SWH's binary form (20 raw bytes): converted to the hex the rest of the code joins on
            binary.append(field.name)
            fields.append(StructField(field.name, BinaryType(), True))
        elif _compatible(have, field.dataType):
            fields.append(field)
        else:
            raise ExportError(
                f"table {table!r} at {path}: column {field.name!r} is {have.simpleString()}, "
                f"expected {field.dataType.simpleString()}")
    frame = spark.read.schema(StructType(fields)).orc(path)
    if binary:
        frame = frame.withColumns({name: F.lower(F.hex(name)) for name in binary})
    return frame


def _compatible(found: DataType, expected: DataType) -> bool:
    # An ORC timestamp without a zone is read as UTC like one with it; anything else must match.
    timestamps = (TimestampType, TimestampNTZType)
    return found == expected or (isinstance(found, timestamps) and isinstance(expected, timestamps))


def _checked_hashes(table: str) -> dict[str, int | None]:
    checked = CHECKED_HASH_COLUMNS.get(table, ())
    return {c: n for c, n in HASH_COLUMNS.get(table, {}).items() if c in checked}


def _check_hash_samples(tables: dict[str, DataFrame], export: str) -> None:
    """The first rows of every table's checked hash columns are hex of the right length.

    One Spark job samples all tables (a job each cost ~0.4 s of every run's start-up); when it
    fails (a corrupt first stripe), each table is sampled alone to name the one at fault.
    """
    checked = {t: h for t in tables if (h := _checked_hashes(t))}
    if not checked:
        return
    samples = [tables[t].select(F.lit(t).alias("_table"), F.array(*hashes).alias("_values")).limit(HASH_SAMPLE_ROWS)
               for t, hashes in checked.items()]
    union = samples[0]
    for sample in samples[1:]:
        union = union.unionByName(sample)
    failed = None
    try:
        rows = union.collect()
    except Exception as err:  # a corrupt first stripe surfaces as an assorted py4j/Spark error
        rows, failed = None, err
    for table, hashes in checked.items():
        if rows is None:
            _check_hash_sample(tables[table], table, table_path(export, table), hashes)
        else:
            values = [dict(zip(hashes, r["_values"], strict=True)) for r in rows if r["_table"] == table]
            _check_hash_values(values, table, table_path(export, table), hashes)
    if failed is not None:  # no table failed alone: sampling them together did
        raise ExportError(f"the export's tables cannot be sampled: {_first_line(failed)}") from failed


def _check_hash_sample(frame: DataFrame, table: str, path: str, hashes: dict[str, int | None]) -> None:
    try:
        rows = frame.select(*hashes).limit(HASH_SAMPLE_ROWS).collect()
    except Exception as err:  # a corrupt first stripe surfaces as an assorted py4j/Spark error
        raise ExportError(f"table {table!r} at {path} is corrupt or not ORC: {_first_line(err)}") from err
    _check_hash_values([r.asDict() for r in rows], table, path, hashes)


def _check_hash_values(rows: list[dict[str, str | None]], table: str, path: str,
                       hashes: dict[str, int | None]) -> None:
    for column, length in hashes.items():
        pattern = re.compile(f"[0-9a-f]{{{length}}}" if length else "(?:[0-9a-f]{2})+")
        bad = next((r[column] for r in rows if r[column] is not None and not pattern.fullmatch(r[column])), None)
        if bad is not None:
            what = f"{length} lowercase hex digits" if length else "lowercase hex"
            raise ExportError(
                f"table {table!r} at {path}: column {column!r} holds {bad[:48]!r}, not {what} "
                "(raw hash bytes belong in a binary column)")


def check_blob_store(export: SwhExport, blobs_root: str | None) -> None:
    """Where the file bytes come from is usable: input.blobs exists and holds blobs of this
    export (a sample is looked up), or, without it, content.data carries the bytes."""
    from codecurate.spark import blobs

    try:
        sample = (export["content"].filter(F.col("status") == "visible")
                  .select("sha1", F.col("data").isNotNull().alias("inline")).limit(BLOB_SAMPLE_ROWS).collect())
    except Exception as err:  # a corrupt stripe surfaces as an assorted py4j/Spark error
        raise ExportError(f"table 'content' is corrupt or not ORC: {_first_line(err)}") from err
    if not sample:
        return  # no visible content: nothing will be read
    if blobs_root is None:
        if not any(row["inline"] for row in sample):
            raise ExportError(
                f"input.blobs is not set and table 'content' carries no data "
                f"(none in {len(sample)} sampled rows): set input.blobs to the blob store")
        return
    fs, base = filesystem(blobs_root)
    store = f"{base.rstrip('/')}/content"
    if fs.get_file_info(store).type != pafs.FileType.Directory:
        raise ExportError(f"input.blobs {blobs_root}: no blob store there ({store} is not a directory)")
    keys = [row["sha1"] for row in sample if row["sha1"]]
    found = [k for k in keys if blobs.fetch(blobs_root, k, 0)[1] != blobs.DropReason.MISSING_BLOB]
    if keys and not found:
        raise ExportError(
            f"input.blobs {blobs_root} holds none of the {len(keys)} blobs sampled from table "
            "'content' (is it this export's blob store?)")


def tables_named_in(error_text: str, export: str) -> list[str]:
    """The export tables whose files an error message mentions (Spark names the file it was
    reading when an ORC stripe turns out corrupt, deep in its cause chain)."""
    root = export.rstrip("/")
    return [t for t in SCHEMAS if f"{root}/orc/{t}/" in error_text or f"/orc/{t}/{t}" in error_text]


def _read_repo_metadata(spark: SparkSession, export: str, given: str | None) -> DataFrame | None:
    path = given or f"{export.rstrip('/')}/github/repo_metadata.parquet"
    fs, local = filesystem(path)
    if fs.get_file_info(local).type == pafs.FileType.NotFound:
        if given:
            raise ExportError(f"input.repo_metadata {given} does not exist")
        return None
    try:
        return spark.read.schema(from_arrow_schema(REPO_METADATA)).parquet(path)
    except AnalysisException as err:
        raise ExportError(f"repo metadata at {path} cannot be read: {err.getMessage()}") from err


def _first_line(err: Exception) -> str:
    text = str(err).strip().splitlines()
    return text[0][:500] if text else type(err).__name__
