"""The typed questions of the demo community and their letter-by-letter scoring."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from indexer.engine import Engine
from indexer.errors import AskfindError
from indexer.evaluation import as_you_type
from indexer.evaluation.as_you_type import Outcome, TypedQuestion
from indexer.evaluation.datasets import Dataset, Query
from indexer.evaluation.harness import InProcessIndex
from tests.conftest import write_jsonl

UMLAUTS = set("äöüÄÖÜß")


@pytest.fixture(scope="module")
def questions() -> list[TypedQuestion]:
    return as_you_type.load_questions()


@pytest.fixture(scope="module")
def languages(sample_path: Path) -> dict[str, str]:
    """Each demo thread's language, by id."""
    with sample_path.open(encoding="utf-8") as lines:
        return {record["id"]: record["lang"] for record in map(json.loads, lines)}


def question(
    text: str = "0123456789", answers: tuple[str, ...] = ("a",), **fields
) -> TypedQuestion:
    values = {"id": "q", "lang": "de", "tags": frozenset(), "split": "fit", **fields}
    return TypedQuestion(text=text, answers=frozenset(answers), **values)


# --- the set -------------------------------------------------------------------------


def test_every_line_is_a_valid_question_and_there_are_at_least_100() -> None:
    lines = as_you_type.QUESTIONS.read_text(encoding="utf-8").splitlines()
    assert all(set(json.loads(line)) == set(as_you_type.FIELDS) for line in lines)
    assert len(as_you_type.load_questions()) == len(lines) >= 100


def test_every_answer_is_a_demo_thread(
    questions: list[TypedQuestion], languages: dict[str, str]
) -> None:
    missing = {a for q in questions for a in q.answers} - set(languages)
    assert not missing


def test_both_splits_hold_about_half_and_share_no_thread(questions: list[TypedQuestion]) -> None:
    sizes = Counter(q.split for q in questions)
    assert set(sizes) == {"fit", "report"}
    assert abs(sizes["fit"] - sizes["report"]) <= len(questions) // 10
    splits_of_thread: dict[str, set[str]] = defaultdict(set)
    for q in questions:
        for thread in q.answers:
            splits_of_thread[thread].add(q.split)
    assert all(len(splits) == 1 for splits in splits_of_thread.values())


def test_cross_language_questions_have_answers_in_the_other_language_only(
    questions: list[TypedQuestion], languages: dict[str, str]
) -> None:
    for q in questions:
        other_only = all(languages[a] != q.lang for a in q.answers)
        assert other_only == ("cross-language" in q.tags), q.id
    directions = Counter(q.lang for q in questions if "cross-language" in q.tags)
    assert directions["de"] >= 15 and directions["en"] >= 15
    by_split = Counter((q.lang, q.split) for q in questions if "cross-language" in q.tags)
    assert all(by_split[lang, split] > 0 for lang in ("de", "en") for split in ("fit", "report"))


def test_tags_say_what_the_text_is(questions: list[TypedQuestion]) -> None:
    for q in questions:
        assert ("lowercase" in q.tags) == (q.text == q.text.lower()), q.id
        if "transliterated" in q.tags:
            assert q.lang == "de" and not UMLAUTS & set(q.text), q.id
    assert sum("transliterated" in q.tags for q in questions) >= 15


def test_a_bad_line_is_named(tmp_path: Path) -> None:
    good = {"id": "x", "text": "wlan weg", "lang": "de", "tags": [], "answers": ["wlan-002"]}
    path = write_jsonl(tmp_path / "q.jsonl", [{**good, "split": "fit"}, good])
    with pytest.raises(AskfindError, match=r"line 2: .*missing split"):
        as_you_type.load_questions(path)


def test_the_text_is_searched_as_the_api_normalises_it(tmp_path: Path) -> None:
    record = {"id": "x", "text": "  WLAN\n  bricht ", "lang": "de", "tags": [], "split": "fit"}
    path = write_jsonl(tmp_path / "q.jsonl", [{**record, "answers": ["wlan-002"]}])
    assert as_you_type.load_questions(path)[0].text == "WLAN bricht"


# --- scoring -------------------------------------------------------------------------


def test_keystrokes_start_at_the_third_character_and_skip_trailing_spaces() -> None:
    assert as_you_type.keystrokes("wlan ab") == [
        (3, "wla"),
        (4, "wlan"),
        (6, "wlan a"),
        (7, "wlan ab"),
    ]
    assert as_you_type.keystrokes("ab") == []


def test_a_right_thread_shown_then_lost_then_shown_for_good() -> None:
    # 10 characters; "a" is the answer: first at 5 typed, lost at 6, back from 7 on.
    typed = [(3, []), (4, ["x"]), (5, ["a"]), (6, []), (7, ["b", "a"]), (8, ["a"]), (10, ["a"])]
    outcome = as_you_type.score(question(), typed, ["c", "a", "d"])
    assert outcome.keystrokes == 7
    assert outcome.shown_at_full and not outcome.nothing_at_full
    assert outcome.first_shown == 0.5
    assert outcome.shown_for_good == 0.7
    assert not outcome.search_first
    assert outcome.search_reciprocal_rank == 0.5


def test_a_right_thread_lost_before_the_end_is_not_shown_for_good() -> None:
    outcome = as_you_type.score(question("abcd"), [(3, ["a"]), (4, [])], ["a"])
    assert outcome.first_shown == 0.75
    assert outcome.shown_for_good is None
    assert not outcome.shown_at_full and outcome.nothing_at_full
    assert outcome.search_first and outcome.search_reciprocal_rank == 1.0


def test_wrong_suggestions_at_the_end_are_not_nothing() -> None:
    outcome = as_you_type.score(question("abcd"), [(3, []), (4, ["x"])], ["x", "y"])
    assert outcome.first_shown is None and outcome.shown_for_good is None
    assert not outcome.shown_at_full and not outcome.nothing_at_full
    assert outcome.search_reciprocal_rank == 0.0


def test_any_answer_counts_and_search_is_scored_to_rank_5() -> None:
    q = question("abc", answers=("a", "b"))
    sixth = ["1", "2", "3", "4", "5", "a"]
    assert as_you_type.score(q, [(3, ["x", "b"])], sixth).shown_at_full
    assert as_you_type.score(q, [(3, [])], sixth).search_reciprocal_rank == 0
    assert as_you_type.score(q, [(3, [])], ["1", "2", "3", "4", "b"]).search_reciprocal_rank == 0.2


def outcome(q: TypedQuestion, **values) -> Outcome:
    defaults = {
        "keystrokes": 8,
        "shown_at_full": False,
        "nothing_at_full": True,
        "first_shown": None,
        "shown_for_good": None,
        "search_first": False,
        "search_reciprocal_rank": 0.0,
    }
    return Outcome(question=q, **{**defaults, **values})


def test_summary_rows_by_split_language_and_kind() -> None:
    de = question(id="de", tags=frozenset({"transliterated"}))
    de_cross = question(id="dx", tags=frozenset({"cross-language"}), split="report")
    en = question(id="en", lang="en", split="report")
    table = as_you_type.summarise(
        [
            outcome(de, shown_at_full=True, nothing_at_full=False, first_shown=0.2,
                    shown_for_good=0.4, search_first=True, search_reciprocal_rank=1.0),
            outcome(de_cross, first_shown=0.5, search_reciprocal_rank=0.5),
            outcome(en, shown_at_full=True, nothing_at_full=False, first_shown=0.6,
                    shown_for_good=0.8, search_reciprocal_rank=0.25),
        ]
    )  # fmt: skip
    assert list(table) == [
        "all", "split fit", "split report", "de", "en", "de, answered in en only",
        "cross-language", "transliterated",
    ]  # fmt: skip
    assert table["all"] == {
        "n": 3,
        "shown at full %": pytest.approx(200 / 3),
        "nothing at full %": pytest.approx(100 / 3),
        "ever shown %": 100.0,
        "typed % first shown": 50.0,  # median of 20, 50, 60
        "typed % shown for good": pytest.approx(60.0),  # median of 40, 80
        "search R@1": pytest.approx(100 / 3),
        "search MRR@5": pytest.approx(100 * 1.75 / 3),
    }
    assert table["split report"]["n"] == 2
    assert table["split report"]["typed % first shown"] == pytest.approx(55.0)
    assert table["de, answered in en only"]["typed % shown for good"] is None
    assert table["transliterated"]["search R@1"] == 100.0


def test_markdown_has_a_row_per_group_and_a_dash_for_no_value() -> None:
    table = as_you_type.summarise([outcome(question(), first_shown=0.5)])
    text = as_you_type.markdown(table, "python")
    assert "### demo-typed (via python)" in text
    assert "| all | 1 | 0.0 | 100.0 | 100.0 | 50.0 | – | 0.0 | 0.0 |" in text


class ScriptedClient:
    """Suggests the answer from the 5th character on; records what it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str, int]] = []

    def suggest(self, text: str, limit: int) -> list[str]:
        self.asked.append(("suggest", text, limit))
        return ["a"] if len(text) >= 5 else []

    def search(self, text: str, limit: int, offset: int = 0) -> tuple[list[str], int]:
        self.asked.append(("search", text, limit))
        return ["b", "a"], 2


def test_a_question_is_typed_letter_by_letter_then_searched_whole() -> None:
    client = ScriptedClient()
    result = as_you_type.type_question(client, question("wlan weg"))
    assert client.asked == [
        ("suggest", "wla", 5),
        ("suggest", "wlan", 5),
        ("suggest", "wlan w", 5),
        ("suggest", "wlan we", 5),
        ("suggest", "wlan weg", 5),
        ("search", "wlan weg", 5),
    ]
    assert result.first_shown == result.shown_for_good == 6 / 8
    assert result.search_reciprocal_rank == 0.5


# --- the in-process client -----------------------------------------------------------


def test_suggestions_in_process_apply_the_confidence_floor(engine: Engine, tmp_path: Path) -> None:
    threads = write_jsonl(
        tmp_path / "threads.jsonl",
        [
            {"id": "wlan", "title": "WLAN bricht abends ständig ab", "body": "Telvia Box"},
            {"id": "esim", "title": "eSIM auf neues iPhone übertragen", "body": "QR-Code"},
        ],
    )
    dataset = Dataset("tiny", threads, [Query("q", "WLAN bricht ab", "")], {"q": {"wlan"}})
    index = InProcessIndex(dataset, engine.settings, tmp_path / "work")
    try:
        everything = index.searcher({"confidence_floor": 0.0})
        nothing = index.searcher({"confidence_floor": 1.0})
        assert everything.suggest("WLAN bricht ab", 5)[0] == "wlan"
        assert nothing.suggest("WLAN bricht ab", 5) == []
        assert nothing.search("WLAN bricht ab", 5)[0][0] == "wlan"
    finally:
        index.close()


def test_the_demo_dataset_is_the_sample_community(questions: list[TypedQuestion]) -> None:
    dataset = as_you_type.demo_dataset(questions)
    assert len(dataset.threads()) == 300
    assert dataset.relevant[questions[0].id] == set(questions[0].answers)
    assert len(dataset.queries) == len(questions)
