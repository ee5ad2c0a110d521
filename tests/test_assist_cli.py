"""``agentdesk draft``: the panel's draft for scripts, offline and from a real SSE server."""

from __future__ import annotations

import json

from openai_server import Reply

from agentdesk import cli


def config_for(tmp_path, server=None) -> str:
    path = tmp_path / "config.toml"
    llm = f'[llm]\nbase_url = "{server.base_url}"\nmodel = "m"\nmax_retries = 0\n' if server else ""
    path.write_text(f'[agent]\nname = "alice"\ndisplay_name = "Alice Martin"\n{llm}')
    return str(path)


def draft(tmp_path, db, conversation, *extra, server=None) -> int:
    return cli.main(
        ["--config", config_for(tmp_path, server), "draft", str(conversation), "--db", str(db)]
        + list(extra)
    )


def test_offline_draft_as_text_and_json(desk, tmp_path, capsys):
    path, ids = desk
    assert draft(tmp_path, path, ids["refund"]) == 0
    out = capsys.readouterr()
    assert out.out.startswith("Hi Ann,\n\n") and out.out.rstrip().endswith("Alice Martin")
    assert "(offline draft: no LLM endpoint configured)" in out.err
    assert draft(tmp_path, path, ids["refund"], "--format", "json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["source"] == "offline" and data["completed"] is True
    assert data["stop_reason"] == "complete"
    assert data["mood"] == "frustrated" and data["intent"] == "refund"
    assert data["text"].startswith("Hi Ann,")
    assert isinstance(data["articles"], list)


def test_model_draft_cut_off_is_reported_as_incomplete(desk, tmp_path, capsys, openai_server):
    path, ids = desk
    openai_server.script(Reply.ending(["Hi Ann,", " your refund"], None, done=False))
    assert draft(tmp_path, path, ids["refund"], "--format", "json", server=openai_server) == 1
    data = json.loads(capsys.readouterr().out)
    assert (data["source"], data["text"], data["completed"]) == (
        "llm",
        "Hi Ann, your refund",
        False,
    )
    assert data["stop_reason"] == "cut off"
    assert data["notice"] == "LLM stream was cut off: it ended before the model finished"
    openai_server.script(Reply.stream(["Hi Ann,", " done."]))
    assert draft(tmp_path, path, ids["refund"], server=openai_server) == 0
    assert capsys.readouterr().out == "Hi Ann, done.\n"
    assert draft(tmp_path, path, ids["refund"], "--offline", server=openai_server) == 0
    assert capsys.readouterr().out.startswith("Hi Ann,\n\nI'm really sorry")


def test_unknown_conversation_is_one_line(desk, tmp_path, capsys):
    path, _ = desk
    assert draft(tmp_path, path, 999) == 2
    assert capsys.readouterr().err == "agentdesk: draft: no conversation 999\n"


def test_kb_gaps_lists_unanswered_questions_by_intent(tmp_path, frozen_clock, capsys):
    from pathlib import Path

    from desk_data import at

    import agentdesk.demo
    from agentdesk.assist.kbimport import import_kb
    from agentdesk.domain import Inbound
    from agentdesk.store import Store

    path = tmp_path / "gaps.db"
    messages = [
        ("a@example.com", "Can you recommend a good kayak for rivers?", 60),
        ("b@example.com", "Hi, can you recommend a good kayak for rivers?", 120),
        ("c@example.com", "Do you offer gift wrapping? \x1b[31mred", 30),
        ("d@example.com", "The kettle arrived damaged, the lid is cracked.", 10),  # answered
        ("e@example.com", "Do you sell kayaks? This is old.", 60 * 24 * 40),  # too old
        ("f@example.com", "Can I get a refund for the concert ticket I bought?", 20),
        ("g@example.com", "Hi, can I get a refund for the concert ticket I bought?", 25),
        ("h@example.com", "I want to cancel my kayak rental booking.", 35),
    ]
    with Store(path) as store:
        import_kb(store, Path(agentdesk.demo.__file__).parent / "kb")
        for address, text, minutes in messages:
            store.messages.record_inbound(
                Inbound(channel="email", address=address, name="", subject="", text=text,
                        at=at(minutes))
            )  # fmt: skip
    assert cli.main(["kb", "gaps", "--db", str(path), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["messages"] == 7
    assert data["gaps"] == [  # the most frequent intent first
        {
            "intent": "unclear",
            "count": 3,
            "questions": [
                {"text": "Can you recommend a good kayak for rivers?", "count": 2},
                {"text": "Do you offer gift wrapping?", "count": 1},
            ],
        },
        {
            "intent": "refund",
            "count": 2,
            "questions": [
                {"text": "Can I get a refund for the concert ticket I bought?", "count": 2}
            ],
        },
        {
            "intent": "cancel",
            "count": 1,
            "questions": [{"text": "I want to cancel my kayak rental booking.", "count": 1}],
        },
    ]
    assert cli.main(["kb", "gaps", "--db", str(path), "--since", "90d"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("7 of 8 customer messages since 2025-10-09 have no article")
    assert "  2x Can you recommend a good kayak for rivers?" in out and "\x1b" not in out
    assert cli.main(["kb", "gaps", "--db", str(path), "--since", "soon"]) == 2
