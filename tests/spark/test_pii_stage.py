"""The pii stage on an inline frame: redacted content, counts, pii_dense, nothing leaked."""

import dataclasses
import json
import random
import string

from codecurate import columns as C
from codecurate.config import Config, PiiConfig
from codecurate.stages import pii as stage
from codecurate.stages.base import StageContext, with_content

ALNUM = string.ascii_letters + string.digits


def _secrets(seed: int) -> dict[str, str]:
    rng = random.Random(seed)

    def rand(n, alphabet=ALNUM):
        return "".join(rng.choice(alphabet) for _ in range(n))

    return {
        "gh": "ghp_" + rand(36),
        "gh2": "ghp_" + rand(36),
        "gh3": "ghp_" + rand(36),
        "gh4": "ghp_" + rand(36),
        "email": f"maria.{rand(5, string.ascii_lowercase)}@acme-mail.io",
        "pw": rand(16),
        "akid": "AKIA" + rand(16, string.ascii_uppercase),
    }


def _frame(spark, s):
    normal = (
        "import os\n"
        f"TOKEN = '{s['gh']}'\n"
        f"# author: {s['email']}\n"
        f"DB = 'mysql://root:{s['pw']}@db.acme-corp.io/app'\n"
        "SERVER = '93.184.216.34'\n"
        "LOCAL = '127.0.0.1'\n"
    )
    dense = "\n".join(f"K{i} = '{s[k]}'" for i, k in enumerate(["gh2", "gh3", "gh4", "akid"])) + "\n"
    clean = "def add(a, b):\n    return a + b\n"
    rows = [
        ("acme/app", "app/settings.py", "b1", len(normal), normal),
        ("acme/app", "keys/dump.py", "b2", len(dense), dense),
        ("acme/lib", "lib/math.py", "b3", len(clean), clean),
    ]
    return spark.createDataFrame(
        rows,
        f"{C.REPO_NAME} string, {C.PATH} string, {C.BLOB_ID} string, "
        f"{C.LENGTH_BYTES} long, {C.CONTENT} string",
    )


def _ctx(spark, logged):
    return StageContext(spark=spark, checkpoint=lambda df: df.localCheckpoint(), log=logged.append)


def test_stage_redacts_counts_and_rejects_dense(spark, capsys):
    s = _secrets(1)
    logged = []
    # as in a run: the files without their text, which is in the run's contents table
    frame = _frame(spark, s)
    contents = frame.select(C.BLOB_ID, C.CONTENT)
    ctx = dataclasses.replace(_ctx(spark, logged), contents=lambda: contents)
    out = stage.run(frame.drop(C.CONTENT), Config(), ctx)
    rows = {r[C.BLOB_ID]: r.asDict() for r in out.collect()}
    counts = {blob: [(e["kind"], e["count"]) for e in row[C.PII_COUNTS]] for blob, row in rows.items()}

    assert len(rows) == 3  # every input row comes back, kept or tagged
    normal = rows["b1"]
    assert normal[C.DROP_REASON] is None
    assert C.CONTENT not in normal  # the stage adds the redacted text, nothing else of a text
    assert normal[C.REDACTED_CONTENT] == (
        "import os\n"
        "TOKEN = '<KEY>'\n"
        "# author: <EMAIL>\n"
        "DB = 'mysql://root:<PASSWORD>@db.acme-corp.io/app'\n"
        "SERVER = '10.140.177.32'\n"
        "LOCAL = '127.0.0.1'\n"
    )
    assert counts["b1"] == [("email", 1), ("github_token", 1), ("ipv4", 1), ("password", 1)]
    assert rows["b2"][C.DROP_REASON] == "pii_dense"
    assert counts["b2"] == [("aws_key", 1), ("github_token", 3)]
    assert rows["b3"][C.DROP_REASON] is None
    assert counts["b3"] == []
    assert rows["b3"][C.REDACTED_CONTENT] is None  # nothing redacted: its content is published
    published = {r[C.BLOB_ID]: r[C.CONTENT] for r in with_content(out, Config(), contents).collect()}
    assert published["b1"] == normal[C.REDACTED_CONTENT]
    assert published["b3"] == "def add(a, b):\n    return a + b\n"
    # The store keeps the text of files a redaction changed, and null for the others (their
    # text is their content): a later run joins back a few redacted files, not every file.
    _, stored, _ = ctx.stored_results
    store = {r[C.BLOB_ID]: r[C.CONTENT] for r in stored.collect()}
    assert store["b1"] == normal[C.REDACTED_CONTENT] and store["b3"] is None

    # No planted value anywhere: kept rows (all columns), rejects as the runner writes them
    # (keys + reason), metrics, log lines, console output.
    rejects = (
        out.where(out[C.DROP_REASON].isNotNull())
        .select(*[c for c in C.REJECT_KEYS if c in out.columns], C.DROP_REASON)
        .collect()
    )
    assert [r[C.BLOB_ID] for r in rejects] == ["b2"]
    everything = json.dumps(
        [rows, [r.asDict() for r in rejects], ctx.metrics, logged], default=str
    ) + capsys.readouterr().out + capsys.readouterr().err
    for value in s.values():
        assert value not in everything
        assert value[4:12] not in everything


def test_stage_keeps_dense_files_when_configured(spark):
    s = _secrets(2)
    cfg = dataclasses.replace(Config(), pii=PiiConfig(dense_reject=False))
    out = stage.run(_frame(spark, s), cfg, _ctx(spark, []))
    reasons = {r[C.BLOB_ID]: r[C.DROP_REASON] for r in out.collect()}
    assert reasons == {"b1": None, "b2": None, "b3": None}
