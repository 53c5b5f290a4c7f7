"""Tests of the Stack Exchange dump reader on a tiny dump written for each test."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.cleaning import clean_text
from indexer.sources.base import RecordError, SourceItem
from indexer.sources.stackexchange import read_stackexchange
from indexer.threads import Answer, Thread

SITE = "https://iot.stackexchange.com/"

# Line numbers matter: errors are reported as Posts.xml:LINE. Line 1 is the XML declaration.
POSTS = """\
<?xml version="1.0" encoding="utf-8"?>
<posts>
  <row Id="1" PostTypeId="1" AcceptedAnswerId="3" CreationDate="2020-01-02T03:04:05.678" \
Score="12" ViewCount="3400" AnswerCount="6" LastActivityDate="2021-01-01T00:00:00" \
Title="Router resets every night" Tags="&lt;router&gt;&lt;wifi&gt;" \
Body="&lt;p&gt;Run &lt;code&gt;ping 8.8.8.8&lt;/code&gt; &amp;amp; wait.&lt;/p&gt;\
&lt;script&gt;alert(1)&lt;/script&gt;" OwnerUserId="5" />
  <row Id="2" PostTypeId="2" ParentId="1" Score="5" Body="&lt;p&gt;Update firmware&lt;/p&gt;" \
OwnerDisplayName="Ann" />
  <row Id="3" PostTypeId="2" ParentId="1" Score="-1" Body="&lt;p&gt;Use a fixed channel&lt;/p&gt;" \
OwnerUserId="7" />
  <row Id="4" PostTypeId="2" ParentId="1" Score="-3" Body="Me too" />
  <row Id="5" PostTypeId="1" CreationDate="2020-02-02T00:00:00" Score="-2" ViewCount="10" \
AnswerCount="0" Title="Router keeps resetting" Tags="|router|reset|" Body="Same here" />
  <row Id="6" PostTypeId="1" CreationDate="2020-02-03T00:00:00" Score="1" Body="No title" />
  <row Id="7" PostTypeId="2" ParentId="1" Score="lots" Body="Broken score" />
  <row Id="8" PostTypeId="1" Score="1" ViewCount="many" Title="Views broken" Body="b" />
  <row Id="9" PostTypeId="2" ParentId="1" Score="4" Body="Reboot" />
  <row Id="10" PostTypeId="2" ParentId="1" Score="3" Body="Factory reset" />
  <row Id="11" PostTypeId="2" ParentId="1" Score="2" Body="" />
  <row Id="12" PostTypeId="4" Body="A tag wiki excerpt, not a question" />
  <row Id="13" PostTypeId="1" Score="0" Title="No tags, no body" />
</posts>
"""

POST_LINKS = """\
<?xml version="1.0" encoding="utf-8"?>
<postlinks>
  <row Id="1" CreationDate="2020-03-01T00:00:00" PostId="5" RelatedPostId="1" LinkTypeId="3" />
  <row Id="2" CreationDate="2020-03-01T00:00:00" PostId="13" RelatedPostId="1" LinkTypeId="1" />
</postlinks>
"""


def write_dump(folder: Path, posts: str, links: str | None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Posts.xml").write_text(posts, encoding="utf-8")
    if links is not None:
        (folder / "PostLinks.xml").write_text(links, encoding="utf-8")
    return folder


@pytest.fixture
def dump(tmp_path: Path) -> Path:
    return write_dump(tmp_path / "iot", POSTS, POST_LINKS)


def threads_of(items: list[SourceItem]) -> dict[str, Thread]:
    return {item.id: item for item in items if isinstance(item, Thread)}


def errors_of(items: list[SourceItem]) -> list[RecordError]:
    return [item for item in items if isinstance(item, RecordError)]


def test_dump_yields_its_questions_in_file_order_and_its_broken_rows_as_errors(
    dump: Path,
) -> None:
    items = list(read_stackexchange(dump, site_url=SITE))
    # Answers are staged in a first pass (their errors come first), questions in a second.
    assert [item.id if isinstance(item, Thread) else str(item) for item in items] == [
        'Posts.xml:9: Score must be an integer, not "lots"',
        "1",
        "5",
        "Posts.xml:8: missing required field 'title'",
        'Posts.xml:10: ViewCount must be an integer, not "many"',
        "13",
    ]


def test_question_with_accepted_answer_becomes_a_solved_thread(dump: Path) -> None:
    thread = threads_of(list(read_stackexchange(dump, site_url=SITE, board="IoT")))["1"]
    assert thread == Thread(
        id="1",
        title="Router resets every night",
        body="<p>Run <code>ping 8.8.8.8</code> &amp; wait.</p><script>alert(1)</script>",
        url="https://iot.stackexchange.com/questions/1",
        board="IoT",
        tags=("router", "wifi"),
        created_at="2020-01-02T03:04:05.678000+00:00",
        updated_at="2021-01-01T00:00:00+00:00",
        kudos=12,
        views=3400,
        replies=6,
        solved=True,
        # Accepted although voted down: acceptance is the asker's word, votes are kudos.
        accepted_answer=Answer(
            body="<p>Use a fixed channel</p>",
            id="3",
            author="user7",
            url="https://iot.stackexchange.com/questions/1#3",
            kudos=-1,
        ),
        # The best-voted three others: not the down-voted one, the empty one or the broken one.
        answers=(
            Answer(
                body="<p>Update firmware</p>",
                id="2",
                author="Ann",
                url="https://iot.stackexchange.com/questions/1#2",
                kudos=5,
            ),
            Answer(
                body="Reboot", id="9", url="https://iot.stackexchange.com/questions/1#9", kudos=4
            ),
            Answer(
                body="Factory reset",
                id="10",
                url="https://iot.stackexchange.com/questions/1#10",
                kudos=3,
            ),
        ),
    )


def test_question_body_html_is_kept_for_cleaning_which_drops_the_script(dump: Path) -> None:
    thread = threads_of(list(read_stackexchange(dump)))["1"]
    assert clean_text(thread.body) == "Run ping 8.8.8.8 & wait."


def test_negative_votes_become_negative_kudos_and_duplicate_links_duplicate_of(
    dump: Path,
) -> None:
    thread = threads_of(list(read_stackexchange(dump, site_url=SITE)))["5"]
    assert thread == Thread(
        id="5",
        title="Router keeps resetting",
        body="Same here",
        url="https://iot.stackexchange.com/questions/5",
        tags=("router", "reset"),
        created_at="2020-02-02T00:00:00+00:00",
        kudos=-2,
        views=10,
        replies=0,
        solved=False,
        duplicate_of="1",
    )


def test_only_duplicate_links_set_duplicate_of(dump: Path) -> None:
    threads = threads_of(list(read_stackexchange(dump)))
    # Post 13 is only "linked" to post 1 (LinkTypeId 1), which does not make it a duplicate.
    assert {thread_id: t.duplicate_of for thread_id, t in threads.items()} == {
        "1": None,
        "5": "1",
        "13": None,
    }


def test_without_site_url_threads_have_no_url(dump: Path) -> None:
    thread = threads_of(list(read_stackexchange(dump)))["1"]
    assert thread.url is None
    assert thread.accepted_answer is not None
    assert thread.accepted_answer.url is None
    assert [answer.url for answer in thread.answers] == [None, None, None]


def test_missing_post_links_file_is_tolerated(tmp_path: Path) -> None:
    folder = write_dump(tmp_path / "nolinks", POSTS, links=None)
    items = list(read_stackexchange(folder))
    assert [t.duplicate_of for t in threads_of(items).values()] == [None, None, None]
    assert [str(e) for e in errors_of(items)] == [
        'Posts.xml:9: Score must be an integer, not "lots"',
        "Posts.xml:8: missing required field 'title'",
        'Posts.xml:10: ViewCount must be an integer, not "many"',
    ]


def test_posts_file_path_works_like_its_folder(dump: Path) -> None:
    from_folder = list(read_stackexchange(dump, site_url=SITE))
    from_file = list(read_stackexchange(dump / "Posts.xml", site_url=SITE))
    assert from_file == from_folder
    assert threads_of(from_file)["5"].duplicate_of == "1"


def test_broken_xml_row_is_reported_with_its_line_and_earlier_rows_are_kept(
    tmp_path: Path,
) -> None:
    posts = """\
<?xml version="1.0" encoding="utf-8"?>
<posts>
  <row Id="1" PostTypeId="1" Score="1" Title="Before the break" Body="a" />
  <row Id="2" PostTypeId="1" Score="1" Title="Telefon & Internet" Body="b" />
  <row Id="3" PostTypeId="1" Score="1" Title="After the break" Body="c" />
</posts>
"""
    items = list(read_stackexchange(write_dump(tmp_path / "broken", posts, links=None)))
    assert len(items) == 2
    assert items[0] == Thread(id="1", title="Before the break", body="a", kudos=1)
    assert isinstance(items[1], RecordError)
    assert items[1].location == "Posts.xml:4"
    assert items[1].message.startswith("broken XML, stopped reading: ")


def test_broken_post_links_are_reported_and_links_before_the_break_kept(tmp_path: Path) -> None:
    posts = """\
<?xml version="1.0" encoding="utf-8"?>
<posts>
  <row Id="1" PostTypeId="1" Score="1" Title="Original" Body="a" />
  <row Id="2" PostTypeId="1" Score="1" Title="Duplicate" Body="b" />
  <row Id="3" PostTypeId="1" Score="1" Title="Another duplicate" Body="c" />
</posts>
"""
    links = """\
<?xml version="1.0" encoding="utf-8"?>
<postlinks>
  <row PostId="2" RelatedPostId="1" LinkTypeId="3" />
  <row PostId="3" RelatedPostId="1" LinkTypeId="3" Note="A & B" />
</postlinks>
"""
    items = list(read_stackexchange(write_dump(tmp_path / "badlinks", posts, links)))
    errors = errors_of(items)
    assert [e.location for e in errors] == ["PostLinks.xml:4"]
    assert errors[0].message.startswith("broken XML, stopped reading: ")
    assert {t.id: t.duplicate_of for t in threads_of(items).values()} == {
        "1": None,
        "2": "1",
        "3": None,
    }


def test_accepted_answer_id_without_that_answer_leaves_the_thread_unsolved(
    tmp_path: Path,
) -> None:
    posts = """\
<?xml version="1.0" encoding="utf-8"?>
<posts>
  <row Id="1" PostTypeId="1" AcceptedAnswerId="99" Score="0" Title="Lost answer" Body="a" />
  <row Id="2" PostTypeId="2" ParentId="1" Score="1" Body="Some reply" />
</posts>
"""
    items = list(read_stackexchange(write_dump(tmp_path / "lost", posts, links=None)))
    assert items == [
        Thread(
            id="1",
            title="Lost answer",
            body="a",
            solved=False,
            answers=(Answer(body="Some reply", id="2", kudos=1),),
        )
    ]
