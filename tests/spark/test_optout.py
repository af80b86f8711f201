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


def test_stage_marks_opted_out_repos(spark, tmp_path):
    path = tmp_path / "optout.txt"
    path.write_text("EvilCorp\nalice/secret\n")
    cfg = load_config(None, ["input.export=e", f"optout.list={path}"])
    files = spark.createDataFrame(
        [("evilcorp/a", "x.py"), ("EVILCORP/b", "y.py"), ("alice/secret", "z.py"),
         ("alice/public", "w.py"), ("evilcorpx/c", "v.py")],
        [C.REPO_NAME, C.PATH])
    ctx = StageContext(spark=spark, checkpoint=lambda df: df)
    got = {(r[0], r[1]) for r in optout.run(files, cfg, ctx).select(C.REPO_NAME, C.DROP_REASON).collect()}
    assert got == {("evilcorp/a", "opted_out"), ("EVILCORP/b", "opted_out"), ("alice/secret", "opted_out"),
                   ("alice/public", None), ("evilcorpx/c", None)}
    assert ctx.metrics["optout_entries"] == 2
