import os
import sys

import pytest

os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
os.environ["PYSPARK_PYTHON"] = sys.executable
os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    from codecurate.config import SparkConfig
    from codecurate.spark.session import build_session

    session = build_session(
        SparkConfig(
            master="local[2]",
            shuffle_partitions=4,
            show_progress=False,
            conf={"spark.sql.warehouse.dir": str(tmp_path_factory.mktemp("warehouse"))},
        )
    )
    session.sparkContext.setCheckpointDir(str(tmp_path_factory.mktemp("checkpoints")))
    yield session
    session.stop()
