"""Per-row logic in plain Python: no pyspark, no I/O beyond packaged data tables.

Unit-tested without a JVM; Spark runs it through codecurate.spark.arrow, once per Arrow batch.
"""
