"""Operators' curation: pins, incident pins, hidden threads and synonyms, versioned and
audited, applied by the search service on every backend (DESIGN.md decision 9).

``rules`` (what a rule is, checked), ``store`` (durable versions), ``editing`` (the one
path of every change), ``live`` (the rules in force for a process), ``apply`` and
``synonyms`` (what they do to a search).
"""
