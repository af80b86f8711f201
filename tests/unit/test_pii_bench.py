"""Every labelled PII case (codecurate.dev.bench.pii_cases) behaves as labelled, without Spark.

A planted case passes when each secret is replaced by its placeholder and nothing else in the
text changed; a near-miss passes when the text comes back unchanged.
"""

import re
from collections import Counter

import pytest

from codecurate.config import PiiConfig
from codecurate.dev.bench import pii_cases
from codecurate.dev.bench.pii_cases import Case, cases, outcome
from codecurate.text.pii import redact

CASES = cases()
OPTS = PiiConfig()


def test_benchmark_size_and_spread():
    positives = [c for c in CASES if c.positive]
    near = [c for c in CASES if not c.positive]
    assert len(positives) >= 150 and len({c.form for c in positives}) >= 20
    assert len(near) >= 150 and len({c.form for c in near}) >= 20
    assert len({c.name for c in positives}) == len(positives)
    assert len({c.name for c in near}) == len(near)
    # a near-miss holds no planted value of any positive case (the labels cannot contradict)
    values = {v for c in positives for v, _ in c.secrets}
    assert not any(v in c.text for c in near for v in values)


def test_cases_are_deterministic():
    again = cases()
    assert [(c.name, c.path, c.text, c.secrets) for c in again] == [
        (c.name, c.path, c.text, c.secrets) for c in CASES
    ]


def test_fake_secrets_are_well_formed_for_their_provider():
    values = Counter()
    formats = {
        "aws_id": r"AKIA[A-Z2-7]{16}",
        "github": r"gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}",
        "google": r"AIza[A-Za-z0-9_-]{35}",
        "npm": r"npm_[A-Za-z0-9]{36}",
        "sendgrid": r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}",
        "telegram": r"[0-9]{10}:AA[A-Za-z0-9_-]{33}",
        "mailgun": r"key-[0-9a-f]{32}",
    }
    for case in CASES:
        for value, _ in case.secrets:
            for name, pattern in formats.items():
                if re.fullmatch(pattern, value):
                    values[name] += 1
    assert all(values[name] >= 2 for name in formats), values


def test_outcome_labels():
    case = Case("f", 0, "a.py", 'k = "abc"\n', (("abc", "<KEY>"),))
    assert outcome(case, 'k = "<KEY>"\n') == "caught"
    assert outcome(case, 'k = "<PASSWORD>"\n') == "inexact"
    assert outcome(case, 'k = "abc"\n') == "missed"
    near = Case("g", 0, "a.py", "x = 1\n")
    assert outcome(near, "x = 1\n") == "unchanged"
    assert outcome(near, "x = <KEY>\n") == "changed"


@pytest.mark.parametrize("case", [c for c in CASES if c.positive], ids=lambda c: c.name)
def test_planted_secret_is_redacted_exactly(case):
    out = redact(case.text, case.path, OPTS).text
    assert outcome(case, out) == "caught", case.name


@pytest.mark.parametrize("case", [c for c in CASES if not c.positive], ids=lambda c: c.name)
def test_near_miss_is_left_alone(case):
    result = redact(case.text, case.path, OPTS)
    assert result.text == case.text, case.name
    assert not any(k not in ("email", "ipv4", "ipv6") for k in result.counts), result.counts


def test_lock_files_are_covered():
    locks = [c for c in CASES if c.form in pii_cases.LOCK_FORMS]
    names = {c.path for c in locks}
    assert {"package-lock.json", "yarn.lock", "poetry.lock", "Cargo.lock", "go.sum",
            "SHA256SUMS"} <= names
