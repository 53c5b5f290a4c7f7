"""scripts/bench: how fast askfind indexes and answers on this machine, written into a report.

One module per phase, in the order they run: ``corpus`` and ``queries`` (what is indexed and
asked), ``targets`` (the backend), ``session`` (one run and its results), ``indexing``,
``serving``, ``in_process``; then ``rows`` and ``report`` (the markdown), and ``cli``.
"""
