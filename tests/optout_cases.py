"""Opt-out cases shared by the pure definition's test (tests/unit) and the Spark join's
(tests/spark): both must give these answers."""

# (line, entry)
ENTRY_CASES = [
    ("EvilCorp", "evilcorp"), ("  alice/Secret-Repo  # why", "alice/secret-repo"), ("# only", None),
    ("", None), ("\ufeffbom-owner", "bom-owner"), ("\tTabbed/Repo\t", "tabbed/repo"),
]
MATCH_CASES = [  # (repo_name, opted out by "evilcorp", "alice/secret-repo", "bom-owner", "tabbed/repo")
    ("evilcorp/anything", True), ("EVILCORP/Other", True), ("evilcorpx/y", False),
    ("Alice/Secret-Repo", True), ("alice/other", False), ("evilcorp", True), (None, False),
    ("gitlab.com/evilcorp/x", False), ("tabbed/repo", True), ("tabbed/repo2", False),
    ("BOM-owner/z", True),
]
