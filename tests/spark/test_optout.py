import pytest

from codecurate import columns as C
from codecurate.config import load_config
from codecurate.stages import optout
from codecurate.stages.base import StageContext
from codecurate.text.optout import OptOutListError, read_optout_list


def test_list_format(tmp_path):
    path = tmp_path / "optout.txt"
    path.write_text("# comment\nEvilCorp\n  alice/Secret-Repo  # trailing comment\n\nbob/x\n")
    lst = read_optout_list(path)
    assert lst.owners == {"evilcorp"}
    assert lst.repos == {"alice/secret-repo", "bob/x"}
    assert lst.excludes("evilcorp/anything") and lst.excludes("EVILCORP/Other")
    assert lst.excludes("Alice/secret-repo") and not lst.excludes("alice/other")
    assert not lst.excludes("evilcorpx/y")


def test_bad_lists(tmp_path):
    with pytest.raises(OptOutListError, match="cannot read"):
        read_optout_list(tmp_path / "missing.txt")
    bad = tmp_path / "bad.txt"
    bad.write_text("ok/fine\na/b/c\n")
    with pytest.raises(OptOutListError, match=r"bad.txt:2"):
        read_optout_list(bad)


@pytest.mark.parametrize("broadcast_max_entries", [100, 0])  # the list broadcast, and joined by name
def test_stage_marks_opted_out_repos(spark, tmp_path, broadcast_max_entries):
    path = tmp_path / "optout.txt"
    path.write_text("EvilCorp\nalice/secret\nAlice/Secret\n")
    cfg = load_config(None, ["input.export=e", f"optout.list={path}",
                             f"optout.broadcast_max_entries={broadcast_max_entries}"])
    files = spark.createDataFrame(
        [("evilcorp/a", "x.py"), ("EVILCORP/b", "y.py"), ("alice/secret", "z.py"), ("alice/secret", "z2.py"),
         ("alice/public", "w.py"), ("evilcorpx/c", "v.py"), (None, "n.py")],
        f"{C.REPO_NAME} string, {C.PATH} string")
    ctx = StageContext(spark=spark, checkpoint=lambda df: df.localCheckpoint())
    tagged = optout.run(files, cfg, ctx)
    plan = tagged._jdf.queryExecution().executedPlan().toString()
    assert ("BroadcastHashJoin" in plan) == (broadcast_max_entries > 0)
    got = sorted((r[0] or "", r[1], r[2] or "") for r in tagged.select(C.REPO_NAME, C.PATH, C.DROP_REASON).collect())
    assert got == [("", "n.py", ""), ("EVILCORP/b", "y.py", "opted_out"), ("alice/public", "w.py", ""),
                   ("alice/secret", "z.py", "opted_out"), ("alice/secret", "z2.py", "opted_out"),
                   ("evilcorp/a", "x.py", "opted_out"), ("evilcorpx/c", "v.py", "")]
    assert ctx.metrics["optout_entries"] == 3
