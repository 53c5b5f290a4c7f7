"""How well a content-gap report recovers the replay's ground truth.

A gap group *is* the topic most of its questions were asked for (its majority topic);
its purity is that majority's share. A gap topic is *found* when some gap group is it.

- recall: gap topics found, among the gap topics;
- precision: gap groups that are a gap topic, among all gap groups;
- answered as gaps: answered topics that some gap group is (should be none);
- purity: the questions of gap groups that belong to their group's topic, among all;
- searches kept: the impressions of a found topic's sessions counted in its groups, among
  all its impressions (prefixes that land elsewhere, or nowhere, lower it).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from indexer.analytics.gaps import GapReport
from indexer.analytics.report import query_key

ONE_OFF = "one-off"


@dataclass(frozen=True, slots=True)
class Score:
    gap_groups: int
    groups_of_topic: dict[str, int]
    found: list[str]
    missed: list[str]
    answered_as_gaps: list[str]
    precision: float
    recall: float
    purity: float
    searches_kept: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "gap_groups": self.gap_groups,
            "groups_of_topic": self.groups_of_topic,
            "found": self.found,
            "missed": self.missed,
            "answered_as_gaps": self.answered_as_gaps,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "purity": round(self.purity, 4),
            "searches_kept": round(self.searches_kept, 4),
        }


def score(report: GapReport, truth: dict[str, Any]) -> Score:
    """Compare ``report`` with the ground truth ``LogSummary.ground_truth()`` wrote."""
    topic_of = {query_key(text): topic for text, topic in truth["phrasings"].items()}
    groups = report.no_match + report.poor_match
    groups_of_topic: Counter[str] = Counter()
    searches_of_topic: Counter[str] = Counter()
    pure = total = 0
    for group in groups:
        topics: Counter[str] = Counter()
        for text, count in group.phrasings:
            topics[topic_of.get(text, ONE_OFF)] += count
        topic, majority = topics.most_common(1)[0]
        groups_of_topic[topic] += 1
        searches_of_topic[topic] += group.searches
        pure += majority
        total += sum(topics.values())
    gap_topics, answered = truth["gap_topics"], truth["answered_topics"]
    found = [t for t in gap_topics if groups_of_topic[t]]
    true_groups = sum(groups_of_topic[t] for t in gap_topics)
    kept = sum(min(searches_of_topic[t], truth["searches"].get(t, 0)) for t in found)
    asked = sum(truth["searches"].get(t, 0) for t in found)
    return Score(
        gap_groups=len(groups),
        groups_of_topic=dict(groups_of_topic),
        found=found,
        missed=[t for t in gap_topics if not groups_of_topic[t]],
        answered_as_gaps=[t for t in answered if groups_of_topic[t]],
        precision=true_groups / len(groups) if groups else 1.0,
        recall=len(found) / len(gap_topics),
        purity=pure / total if total else 1.0,
        searches_kept=kept / asked if asked else 1.0,
    )
