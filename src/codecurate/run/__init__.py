"""Run orchestration: the run directory layout and the runner that executes stages."""
