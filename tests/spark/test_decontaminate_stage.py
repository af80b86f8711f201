"""The decontaminate stage on Spark: the match recorded per removal, off switch, and the runner's
manifest counting removals per benchmark (from the written rejects)."""

from __future__ import annotations

import dataclasses
import json

import pyarrow.parquet as pq

from codecurate import columns as C
from codecurate.config import BenchmarkConfig, Config, DecontaminateConfig, InputConfig, OutputConfig
from codecurate.run.layout import RunDir
from codecurate.run.runner import Run, execute_stage
from codecurate.stages import decontaminate as stage
from codecurate.stages.base import StageContext

TASK_A = ("def running_total(values):\n    \"\"\"Running totals: [1, 2, 3] gives [1, 3, 6].\"\"\"\n"
          "    result, acc = [], 0\n    for value in values:\n        acc += value\n"
          "        result.append(acc)\n    return result\n")
TASK_B = "Compute the number of distinct prime factors of every integer between the two bounds given."


def benchmark(tmp_path):
    path = tmp_path / "mini.jsonl"
    path.write_text(json.dumps({"id": "mini/1", "code": TASK_A, "question": "short"}) + "\n"
                    + json.dumps({"id": "mini/2", "code": "x = 1", "question": TASK_B}) + "\n")
    return BenchmarkConfig(name="mini", path=str(path), id_field="id", fields=("code", "question"))


def config(tmp_path, **overrides):
    settings = {"benchmarks": (benchmark(tmp_path),)} | overrides
    return dataclasses.replace(Config(), decontaminate=DecontaminateConfig(**settings))


FILES = [
    ("a/copy.py", "import os\n\n" + TASK_A.replace("    ", "  ") + "\nprint(1)\n", ("mini", "mini/1", "code", "exact")),
    ("b/README.md", "# Exercise\n\n" + TASK_B.replace(" every ", "\n  every ") + "\n", ("mini", "mini/2", "question", "exact")),
    ("c/real.py", "def add(a, b):\n    return a + b\n", None),
    ("d/empty.py", None, None),
]


def frame(spark):
    rows = [("acme/x", path, f"b{i}", 0 if text is None else len(text), text) for i, (path, text, _) in enumerate(FILES)]
    return spark.createDataFrame(rows, f"{C.REPO_NAME} string, {C.PATH} string, {C.BLOB_ID} string, "
                                       f"{C.LENGTH_BYTES} long, {C.CONTENT} string")


def test_removals_name_benchmark_task_and_field(spark, tmp_path):
    ctx = StageContext(spark=spark, checkpoint=lambda df: df.localCheckpoint())
    tagged = stage.STAGE.run(frame(spark).repartition(3), config(tmp_path), ctx)
    got = {r[C.PATH]: (r[C.DROP_REASON], r[C.DECONTAMINATED_BY] and tuple(r[C.DECONTAMINATED_BY]))
           for r in tagged.collect()}
    assert got == {path: (None if want is None else "benchmark_contamination", want) for path, _, want in FILES}
    assert ctx.metrics["benchmarks"][0]["tasks"] == 2
    assert ctx.metrics["benchmarks"][0]["strings_matched"] == 2  # "short" and "x = 1" are too short


def test_switched_off_keeps_everything(spark, tmp_path):
    ctx = StageContext(spark=spark, checkpoint=lambda df: df.localCheckpoint())
    tagged = stage.STAGE.run(frame(spark), config(tmp_path, enabled=False), ctx)
    assert [r[C.DROP_REASON] for r in tagged.collect()] == [None] * len(FILES)
    assert C.DECONTAMINATED_BY not in tagged.columns and ctx.metrics == {"enabled": False}


def test_runner_writes_match_to_rejects_only_and_counts_per_benchmark(spark, tmp_path):
    cfg = dataclasses.replace(config(tmp_path), input=InputConfig(export=str(tmp_path)),
                              output=OutputConfig(root=str(tmp_path / "out")), stages=("extract", "decontaminate"))
    run_dir = RunDir(tmp_path / "out" / "runs" / "r1")
    frame(spark).write.parquet(str(run_dir.kept("extract")))  # the previous stage's kept rows
    run_dir.write_manifest("extract", {"rows_kept": len(FILES)})
    info = {"config_fingerprint": cfg.fingerprint(), "inputs": {"tables": {}}, "optout_sha256": None}
    manifest = execute_stage(spark, Run(cfg, run_dir, info), "decontaminate")
    assert manifest["rejected_by_reason"] == {"benchmark_contamination": 2}
    assert manifest["metrics"]["rejected_by_benchmark"] == {"mini": 2}
    rejects = pq.read_table(run_dir.rejects("decontaminate")).to_pylist()
    assert sorted((r[C.PATH], r[C.DECONTAMINATED_BY]["task"]) for r in rejects) == \
        [("a/copy.py", "mini/1"), ("b/README.md", "mini/2")]
    assert C.CONTENT not in rejects[0]
    kept = pq.read_table(run_dir.kept("decontaminate"))
    assert C.DECONTAMINATED_BY not in kept.column_names and kept.num_rows == 2
