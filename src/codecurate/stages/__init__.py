"""The stage registry, in pipeline order.

The order is the config's (`codecurate.config.ALL_STAGES`, next to each stage's config
section); each name is a module of this package that declares `STAGE`. Schemas, the release
schema and the runner derive from these declarations; nothing else lists the stages.
"""

from __future__ import annotations

import importlib
from functools import cache

from codecurate.config import ALL_STAGES
from codecurate.stages.base import Source, Stage


@cache
def registry() -> tuple[Source | Stage, ...]:
    stages = tuple(importlib.import_module(f"{__name__}.{name}").STAGE for name in ALL_STAGES)
    for name, stage in zip(ALL_STAGES, stages, strict=True):
        if stage.name != name:
            raise RuntimeError(f"module codecurate.stages.{name} declares a stage named {stage.name!r}")
    if not isinstance(stages[0], Source) or any(isinstance(s, Source) for s in stages[1:]):
        raise RuntimeError("the first stage, and only the first, must be a Source")
    return stages


def get(name: str) -> Source | Stage:
    for stage in registry():
        if stage.name == name:
            return stage
    raise KeyError(name)
