"""The import graph points down: no module imports from a layer above its own.

The layers, bottom to top, are listed in docs/ARCHITECTURE.md; this test is their definition.
Every import counts, also those inside functions (a lazy import is still a dependency).
"""

import ast
from pathlib import Path

import codecurate

PACKAGE = Path(codecurate.__file__).parent

# Bottom to top. A module belongs to the first entry its dotted name starts with.
LAYERS = (
    ("base", ("codecurate", "codecurate.errors", "codecurate.version", "codecurate.columns",
              "codecurate.reasons", "codecurate.resources")),
    ("config", ("codecurate.config",)),
    ("pure", ("codecurate.text", "codecurate.swh")),
    ("spark", ("codecurate.spark",)),
    ("stages", ("codecurate.stages",)),
    ("run", ("codecurate.run",)),
    ("release", ("codecurate.release",)),
    ("ops", ("codecurate.ops",)),
    ("cli", ("codecurate.cli", "codecurate.__main__")),
    ("dev", ("codecurate.dev",)),
)


def layer_of(module: str) -> int:
    best, rank = -1, None
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), index
    assert rank is not None, f"{module} is in no layer: add it to LAYERS and docs/ARCHITECTURE.md"
    return rank


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    package = module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else module_name(path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("codecurate"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            if base.startswith("codecurate"):
                found.add(base)
    return found


def test_every_import_points_down():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = module_name(path)
        for target in imports(path):
            if layer_of(target) > layer_of(source):
                wrong.append(f"{source} ({LAYERS[layer_of(source)][0]}) imports {target} "
                             f"({LAYERS[layer_of(target)][0]})")
    assert not wrong, "imports that point up:\n" + "\n".join(wrong)


def test_pure_layer_has_no_pyspark():
    # Per-row logic is unit-tested without a JVM and wrapped for Spark once, in codecurate.spark.
    offenders = []
    for folder in ("text", "swh"):
        for path in sorted((PACKAGE / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                         else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                offenders += [f"{module_name(path)} imports {n}" for n in names if n.split(".")[0] == "pyspark"]
    assert not offenders, offenders


def test_layer_table_catches_an_upward_import(tmp_path):
    # The checker itself must be able to fail: a stage importing the runner is flagged.
    assert layer_of("codecurate.run.runner") > layer_of("codecurate.stages.pii")
    assert layer_of("codecurate.cli") > layer_of("codecurate.ops.schedule")
    assert layer_of("codecurate.text.pii") < layer_of("codecurate.spark.session")
