"""Traffic with a known deflection effect, for the deflection experiment's report.

Each simulated customer opens a page (a session id of its own, as embed.js makes one),
types a real question title (the widget's requests, carrying the session), and the
widget reports the settled search as an impression. Then the customer posts the question
or not: with probability ``posted_rate`` when held back (the server answered
``"holdout": true``), and ``effect`` less often, relatively, when shown the widget. The
report of the period must then find ``effect`` within its confidence interval, and with
an effect of 0 an interval that holds 0. Everything goes through HTTP as the widget sends
it; the server draws the arms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import threading
import urllib.parse
from typing import Any

from ..instruments.http_client import KeepAliveClient
from .typists import keystrokes, widget_requests


def simulate(
    port: int, api_key: str, titles: list[str], args: argparse.Namespace
) -> dict[str, Any]:
    """Run ``args.sessions`` customers on ``args.people`` threads; return what the
    server's report says of the experiment, beside the truth."""
    questions = list(titles)
    random.Random(args.seed).shuffle(questions)
    counts = {"held_back": 0, "shown": 0, "posted": 0, "errors": 0}
    lock = threading.Lock()
    next_session = iter(range(args.sessions))

    def customer_thread(n: int) -> None:
        client = KeepAliveClient("127.0.0.1", port, timeout_s=30)
        events = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        origin = {"Origin": f"http://127.0.0.1:{port}", "Content-Type": "text/plain"}
        while True:
            with lock:
                number = next(next_session, None)
            if number is None:
                break
            rng = random.Random(args.seed * 1_000_003 + number)
            session = f"{rng.getrandbits(96):024x}"
            decides = random.Random(rng.getrandbits(64))  # apart from the typing's draws
            title = questions[number % len(questions)]
            held, last, results = False, None, []
            for _, text in widget_requests(keystrokes(title, rng), args.debounce / 1000, set()):
                path = "/api/suggest?" + urllib.parse.urlencode(
                    {"q": text, "limit": 5, "session": session}
                )
                status, _, body = client.get(path)
                if status != 200:
                    with lock:
                        counts["errors"] += 1
                    continue
                answer = json.loads(body)
                held = bool(answer.get("holdout"))
                last, results = text, [item["id"] for item in answer["items"]]
            if last is None:
                continue
            chance = args.posted_rate * (1 if held else 1 - args.experiment_effect)
            posted = decides.random() < chance
            sent = [{"type": "impression", "session": session, "query": last, "results": results}]
            if posted:
                sent.append({"type": "asked_anyway", "session": session, "query": last})
            for event in sent:
                events.request("POST", "/api/events", body=json.dumps(event), headers=origin)
                answer = events.getresponse()
                answer.read()
                if answer.status != 202:
                    with lock:
                        counts["errors"] += 1
            with lock:
                counts["held_back" if held else "shown"] += 1
                counts["posted"] += posted
        client.close()
        events.close()

    threads = [threading.Thread(target=customer_thread, args=(n,)) for n in range(args.people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    report = KeepAliveClient("127.0.0.1", port, timeout_s=120)
    status, _, body = report.get(
        "/api/admin/report?days=1", headers={"Authorization": f"Bearer {api_key}"}
    )
    report.close()
    if status != 200:
        raise SystemExit(f"the report answered {status}: {body[:200]!r}")
    found = json.loads(body)["experiment"]
    deflection = found["deflection"]
    return {
        "true_effect": args.experiment_effect,
        "holdout_share": args.holdout_share,
        "posted_rate_without_widget": args.posted_rate,
        "customers": counts,
        "report": found,
        "recovered": deflection is not None
        and deflection["low"] <= args.experiment_effect <= deflection["high"],
        "effect_detected": deflection is not None and deflection["low"] > 0,
    }
