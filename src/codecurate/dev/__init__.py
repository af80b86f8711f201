"""Developer tooling: sample and scale exports, import-git, local cluster, benchmarks, dist.

Importable from a checkout or an installed wheel, but left out of the executor bundle
(`make dist`): nothing outside this package imports it (the CLI registers its commands
when it is present).
"""
