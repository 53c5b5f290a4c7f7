"""The embedded backend: SQLite store of record plus memory-mapped search structures."""
