"""Extract throughput on the sample: files/s and MB/s of blob bytes, per core."""

from __future__ import annotations

import json
import shutil

from pipeline.config import load_config
from pipeline.runner import run_pipeline


def run(ctx) -> None:
    out = ctx.work / "extract"
    shutil.rmtree(out, ignore_errors=True)
    export = ctx.sample / "export"
    cfg = load_config(None, [
        f"input.export={export}", f"input.blobs={export / 'blobs'}", f"output.root={out}",
        "stages=[extract]", "optout.list=null",
    ])
    run_ = run_pipeline(cfg, publish=False, spark=ctx.spark)
    m = json.loads((run_.stage_dir("extract") / "manifest.json").read_text())
    seconds = m["seconds"]
    print(f"bench extract files: {m['rows_in']:,} ({m['rows_kept']:,} kept)")
    print(f"bench extract throughput: {m['rows_in'] / seconds / ctx.cores:,.0f} files/s/core")
    print(f"bench extract blob bytes: {m['bytes_kept'] / seconds / ctx.cores / 1e6:.1f} MB/s/core "
          f"(target >= 20) over {m['bytes_kept'] / 1e6:.1f} MB decoded in {seconds:.1f} s")
