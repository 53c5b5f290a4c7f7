"""Relevance evaluation on labelled public data (``scripts/eval``)."""
