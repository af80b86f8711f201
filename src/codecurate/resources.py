"""Packaged data files (configs/data, shipped as src/codecurate/data).

Read through importlib.resources, not `__file__` paths: on a cluster the package may be
imported from the `--py-files` zip, where there is no directory to open files in.
"""

from importlib.resources import files
from importlib.resources.abc import Traversable


def data_file(*parts: str) -> Traversable:
    node = files("codecurate").joinpath("data")
    for part in parts:
        node = node / part
    return node
