"""What build_session gives the local-mode JVM (the driver, which also runs every task)."""

from __future__ import annotations

import os


def test_local_jvm_caps_cached_nio_buffers(spark):
    # unset, the JDK caches a temporary direct buffer of any size per thread: ~300 MB of the
    # driver's RSS on the scale corpus
    system = spark.sparkContext._jvm.java.lang.System
    assert system.getProperty("jdk.nio.maxCachedBufferSize") == "262144"
    assert system.getProperty("codecurate.spark.log")  # our log4j options beside it


def test_local_mode_limits_malloc_arenas(spark):
    assert os.environ["MALLOC_ARENA_MAX"] == "2"
