"""The line prefilter loses no detect-secrets finding against a full scan of every line."""

import random
import string
from pathlib import Path

import pytest

from codecurate.text import pii

ALNUM = string.ascii_letters + string.digits
LOWER_DIGITS = string.ascii_lowercase + string.digits
HEX = "0123456789abcdef"


def rand(rng, n, alphabet=ALNUM):
    return "".join(rng.choice(alphabet) for _ in range(n))


def plugin_examples(rng) -> dict[str, list[str]]:
    """secret_type -> lines that detect-secrets' plugin of that type reports (fake values)."""
    return {
        "Artifactory Credentials": [f'art = "AKC{rand(rng, 40)}"', f"art: AP6{rand(rng, 40)}"],
        "AWS Access Key": [f"id = AKIA{rand(rng, 16, string.ascii_uppercase)}",
                           f"aws_token = '{rand(rng, 40)}'"],
        "Azure Storage Account access key": [f"conn = 'AccountKey={rand(rng, 86)}=='"],
        "Basic Auth Credentials": [f"url = 'https://bob:{rand(rng, 12)}@example.org/'"],
        "Cloudant Credentials": [f"cl_pass = '{rand(rng, 24, string.ascii_lowercase)}'",
                                 f"u = 'https://acct:{rand(rng, 64, HEX)}@acct.cloudant.com'"],
        "Discord Bot Token": [f"d = 'M{rand(rng, 23)}.{rand(rng, 6)}.{rand(rng, 27)}'"],
        "GitHub Token": [f"t = 'ghp_{rand(rng, 36)}'"],
        "GitLab Token": [f"t = 'glpat-{rand(rng, 20)}'", f"t = 'glptt-{rand(rng, 40)}'"],
        "Base64 High Entropy String": [f'blob = "{rand(rng, 40, ALNUM + "+/")}"'],
        "Hex High Entropy String": [f"h = '{rand(rng, 40, HEX)}'"],
        "IBM Cloud IAM Key": [f"ibm_cloud_iam_key = '{rand(rng, 44)}'"],
        "IBM COS HMAC Credentials": [f"ibm_cos_hmac_secret_access_key = '{rand(rng, 48, HEX)}'"],
        "JSON Web Token": [f"jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJ{rand(rng, 20)}.{rand(rng, 30)}'"],
        "Secret Keyword": [f'password = "{rand(rng, 14)}"', f'api_key = "{rand(rng, 8)}"',
                           f'PaSSWoRD = "{rand(rng, 10)}"', f'pa\u017f\u017fword = "{rand(rng, 10)}"'],
        "Mailchimp Access Key": [f"mc = '{rand(rng, 32, LOWER_DIGITS)}-us12'"],
        "NPM tokens": [f"//registry.npmjs.org/:_authToken=npm_{rand(rng, 36)}"],
        "OpenAI Token": [f"k = 'sk-{rand(rng, 20)}T3BlbkFJ{rand(rng, 20)}'"],
        "Private Key": ["-----BEGIN RSA PRIVATE KEY-----", "PuTTY-User-Key-File-2: ssh-rsa"],
        "PyPI Token": [f"t = 'pypi-AgEIcHlwaS5vcmc{rand(rng, 80)}'"],
        "SendGrid API Key": [f"k = 'SG.{rand(rng, 22)}.{rand(rng, 43)}'"],
        "Slack Token": [f"s = 'xoxb-{rand(rng, 10, string.digits)}-{rand(rng, 24, LOWER_DIGITS)}'",
                        f"h = 'https://hooks.slack.com/services/T{rand(rng, 8)}/B{rand(rng, 8)}/{rand(rng, 24)}'"],
        "SoftLayer Credentials": [f"softlayer_api_key = '{rand(rng, 64, LOWER_DIGITS)}'"],
        "Square OAuth Secret": [f"s = 'sq0csp-{rand(rng, 43)}'"],
        "Stripe Access Key": [f"s = 'sk_live_{rand(rng, 24)}'"],
        "Telegram Bot Token": [f"t = '{rand(rng, 9, string.digits)}:{rand(rng, 35)}'"],
        "Twilio API Key": [f"t = 'AC{rand(rng, 32, LOWER_DIGITS)}'", f"t = 'SK{rand(rng, 32, LOWER_DIGITS)}'"],
    }


def full_scan(text: str, path: str) -> set:
    return set(pii.detect_secrets_findings(text.split("\n"), path))


def prefiltered_scan(text: str, path: str) -> set:
    layout = pii._Layout(text, 10_000)
    numbers = pii.candidate_lines(layout)
    return set(pii.detect_secrets_findings(layout.scan_lines, path, numbers))


def test_every_plugin_is_covered_by_planted_examples():
    plugins, _, _ = pii._detect_secrets()
    types = {p.secret_type for p in plugins}
    assert set(plugin_examples(random.Random(0))) == types


@pytest.mark.parametrize("seed", [0, 1])
def test_prefilter_keeps_every_planted_finding(seed):
    examples = plugin_examples(random.Random(seed))
    filler = ["def f(x):", "    return x + 1", "", "# comment", "values = [1, 2, 3]"]
    found_types = set()
    for secret_type, lines in examples.items():
        text = "\n".join(filler + lines + filler) + "\n"
        full = full_scan(text, "config.py")
        assert prefiltered_scan(text, "config.py") == full, secret_type
        found_types |= {t for _, t, _ in full}
    # the examples really exercise the plugins (a test that found nothing could not fail)
    assert len(found_types) >= 24, sorted(set(examples) - found_types)


def _real_code(limit_bytes: int) -> list[tuple[str, str]]:
    """Deterministic sample of installed Python sources that talk about credentials."""
    import detect_secrets

    root = Path(detect_secrets.__file__).resolve().parents[1]  # site-packages
    picked, total = [], 0
    for path in sorted(root.glob("*/**/*.py")):
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if not 500 < len(text) < 40_000:
            continue
        lowered = text.lower()
        if "password" not in lowered and "token" not in lowered and "secret" not in lowered:
            continue
        picked.append((str(path.relative_to(root)), text))
        total += len(text)
        if total >= limit_bytes:
            break
    return picked


def test_prefilter_loses_nothing_on_real_code():
    # ~300 kB: a full scan runs at ~0.1-0.2 MB/s here, so this costs a few seconds
    files = _real_code(300_000)
    assert len(files) >= 20
    rng = random.Random(3)
    examples = [line for lines in plugin_examples(rng).values() for line in lines]
    full_total = 0
    for number, (path, text) in enumerate(files):
        # plant one line into every file: findings next to real code
        lines = text.split("\n")
        lines.insert(len(lines) // 2, examples[number % len(examples)])
        text = "\n".join(lines)
        full = full_scan(text, path)
        full_total += len(full)
        assert prefiltered_scan(text, path) == full, path
    assert full_total >= len(files)  # mostly planted, some real (test fixtures, examples)


def test_unknown_plugin_type_is_an_error():
    class NewPlugin:
        secret_type = "new"

    with pytest.raises(pii.PrefilterError):
        pii._build_prefilter([NewPlugin()])


def test_guard_words_appear_wherever_a_guarded_pattern_matches():
    """A guarded pattern only runs on lines with a guard word: check on every planted line it
    matches, in several letter cases."""
    _, _, prefilter = pii._detect_secrets()
    lines = [line for lines in plugin_examples(random.Random(4)).values() for line in lines]
    lines += [line.upper() for line in lines] + [line.title() for line in lines]
    matched = 0
    for line in lines:
        for pattern in prefilter.guarded:
            if pattern.search(line):
                matched += 1
                assert prefilter.guard.search(pii._fold(line)), pattern.pattern[:40]
    assert matched >= 10


def test_required_literal_is_in_every_match_of_its_pattern():
    """The literal that lets a chunk skip a pattern is really part of every match: checked on
    every planted example line a direct pattern matches."""
    _, _, prefilter = pii._detect_secrets()
    lines = [line for group in plugin_examples(random.Random(5)).values() for line in group]
    checked = 0
    for pattern, literal in zip(prefilter.direct, prefilter.literals, strict=True):
        if literal is None:
            continue
        text, ignorecase = literal
        for line in lines:
            for match in pattern.finditer(line):
                found = match.group(0).lower() if ignorecase else match.group(0)
                assert text in found, (pattern.pattern[:40], text)
                checked += 1
    assert checked >= 20


def test_required_literal_reading():
    import re

    assert pii._required_literal(re.compile(r"(?-i:(?:\s|=)AKC[a-z]{10,})")) == ("AKC", False)
    assert pii._required_literal(re.compile(r"(?i:xox(?:a|b)-\d+)")) == ("xox", True)
    # case-insensitive runs are cut at "i" (dotless i matches i under re.IGNORECASE)
    assert pii._required_literal(re.compile(r"(?i:api\.softlayer)")) == (".softlayer", True)
    assert pii._required_literal(re.compile(r"[0-9]{8}:[A-Z]{35}")) is None
    assert pii._required_literal(re.compile(r"ab|cd")) is None
