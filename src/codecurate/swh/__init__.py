"""The SWH graph export format: table schemas (pyarrow), shared by the reader and the importers."""
