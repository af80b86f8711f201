"""Reading an SWH graph export with explicit schemas (never inferred)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.fs as pafs
from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.pandas.types import from_arrow_schema
from pyspark.sql.types import StructType

from codecurate.errors import UsageError
from codecurate.swh.tables import OPTIONAL, REPO_METADATA, REQUIRED, SCHEMAS


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
    metadata = _read_repo_metadata(spark, export, repo_metadata)
    return SwhExport(tables, metadata, fingerprints)


def _read_orc(spark: SparkSession, export: str, table: str) -> DataFrame:
    path = table_path(export, table)
    expected = spark_schema(table)
    try:
        # Inference reads a file footer: a foreign or corrupt table fails here, named, rather
        # than halfway through extract. It also tells us which columns the files really have:
        # with an explicit schema Spark would fill a missing column with nulls, silently.
        found = {f.name for f in spark.read.orc(path).schema.fields}
    except AnalysisException as err:
        raise ExportError(f"table {table!r} at {path} cannot be read: {err.getMessage()}") from err
    except Exception as err:  # corrupt files surface as assorted py4j/Spark errors
        raise ExportError(f"table {table!r} at {path} is corrupt or not ORC: {_first_line(err)}") from err
    missing = [f.name for f in expected.fields if f.name not in found]
    if missing:
        raise ExportError(f"table {table!r} at {path} lacks columns {missing}")
    return spark.read.schema(expected).orc(path)


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
