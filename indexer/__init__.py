"""askfind's indexer: reading sources, analysis, embedding, backends, ranking and search."""
