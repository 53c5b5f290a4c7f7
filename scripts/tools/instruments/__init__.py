"""What scripts/bench and scripts/replay measure askfind with, from the outside.

Nothing in here imports askfind, but to find the evaluation data as scripts/eval does: it
measures askfind as an operator would, over HTTP and through /proc. From the bottom up:
``stats``, ``processes``, ``machine`` (the shared machine's load), ``http_client``,
``http_load``, ``served`` (``askfind serve`` under gunicorn), and ``eval_data`` (the real
texts the load is made of).
"""
