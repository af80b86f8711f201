"""Spark helpers: the session, the Arrow-batch wrapper, the export reader, blob reading and
connected components. Everything here may import pyspark; nothing here knows about stages."""
