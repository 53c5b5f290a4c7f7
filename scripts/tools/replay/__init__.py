"""scripts/replay: people typing into the widget, replayed against /api/suggest, with outages.

From the bottom up: ``typists`` (what a person types and what the widget sends of it),
``load`` (many of them at once), ``figures`` (what is reported), ``services`` (the index,
Redis, Elasticsearch and the server it runs against), ``phases`` (warm-up, cache hits, the
replay and its outage), ``cli``.
"""
