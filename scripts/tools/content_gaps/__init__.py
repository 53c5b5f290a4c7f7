"""scripts/content-gaps: a replayed event log with known content gaps, and how well
``askfind gaps`` finds them.

From the bottom up: ``topics`` (the ground truth), ``event_log`` (people typing them into
the widget, written through the event store), ``score`` (a report against the ground
truth), ``cli``.
"""
