"""`make bench`: each module here has `run(ctx: BenchContext)` and prints `bench <what>: <figure>`."""
