"""``agentdesk stats``: formats, options, roll-up and one-line errors, through cli.main."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from metrics_data import Desk, at, worked_example

from agentdesk import cli, clock
from agentdesk.domain import Inbound
from agentdesk.metrics.aggregate import TEAM
from agentdesk.store import Store

NOVEMBER = ["--since", "2026-11-01", "--until", "2026-11-30"]


@pytest.fixture(autouse=True)
def late_clock():
    clock.set_now(datetime(2026, 12, 31, 12, tzinfo=UTC))  # every FCR window has passed
    yield
    clock.set_now(None)


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[agent]\nname = "alice"\n', encoding="utf-8")
    return path


@pytest.fixture
def worked(tmp_path):
    desk = Desk(tmp_path / "desk.db")
    worked_example(desk)
    desk.close()
    return tmp_path / "desk.db"


def stats(capsys, config, *args):
    code = cli.main(["--config", str(config), "stats", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_table(capsys, config, worked):
    code, out, err = stats(capsys, config, "--db", worked, *NOVEMBER)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("Stats 2026-11-01T00:00:00Z .. 2026-12-01T00:00:00Z (calendar")
    alice = next(line for line in lines if line.startswith("alice"))
    assert "30m/30m (3)" in alice and "50% (2)" in alice and "team only" in alice
    team = next(line for line in lines if line.startswith("(team)"))
    assert "15m/15m (1)" in team and "100% (3)" in team


def test_json_has_the_metric_names_counts_and_seconds(capsys, config, worked):
    code, out, _ = stats(capsys, config, "--db", worked, *NOVEMBER, "--format", "json", "--mean")
    assert code == 0
    rows = {row["agent"]: row for row in json.loads(out)}
    assert list(rows) == ["alice", "bob", "(team)"]
    alice = rows["alice"]
    assert set(alice) >= {
        "first_response_time",
        "reply_time",
        "resolution_time",
        "full_resolution_time",
        "fcr",
        "one_touch_rate",
        "reopen_rate",
        "handle_time",
        "answered_rate",
        "csat",
        "conversations",
        "replies",
    }
    assert alice["first_response_time"] == {
        "count": 3,
        "median": 1800.0,
        "p90": 1800.0,
        "mean": 1400.0,
        "waiting": 0,
    }
    assert alice["fcr"] == {"count": 2, "success": 1, "percent": 50.0, "provisional": 0}
    assert rows["bob"]["reply_time"]["median"] == 900.0
    assert rows["bob"]["resolution_time"]["median"] == 2460.0
    assert rows["(team)"]["reopen_rate"] == {"count": 3, "reopened": 1, "percent": 33.3}


def test_csv_by_channel_and_one_agent(capsys, config, worked):
    code, out, _ = stats(
        capsys, config, "--db", worked, *NOVEMBER, "--format", "csv", "--by", "channel"
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["agent"], r["channel"], r["conversations"]) for r in rows] == [
        ("(team)", "chat", "1"),
        ("(team)", "email", "2"),
    ]
    assert rows[1]["first_response_time_count"] == "3"
    code, out, _ = stats(
        capsys, config, "--db", worked, *NOVEMBER, "--format", "json", "--agent", "bob"
    )
    assert [row["agent"] for row in json.loads(out)] == ["bob"]


def test_business_hours_from_config(capsys, tmp_path, worked):
    config = tmp_path / "hours.toml"
    config.write_text(
        '[business_hours]\ntimezone = "UTC"\nmon = "09:00-10:00"\n'
        'tue = "09:00-10:00"\nwed = "09:00-10:00"\n',
        encoding="utf-8",
    )
    code, out, _ = stats(
        capsys,
        config,
        "--db",
        worked,
        *NOVEMBER,
        "--format",
        "json",
        "--business-hours",
        "--agent",
        "alice",
    )
    [alice] = json.loads(out)
    assert code == 0 and alice["time"] == "business"
    # C1 09:00-09:30 (30 min), C3 Tue 08:00-08:10 (before opening: 0), Wed 12:00-12:30 (0).
    assert alice["first_response_time"]["median"] == 0.0
    assert alice["first_response_time"]["p90"] == 1800.0


def test_changing_the_fcr_window_in_config_recomputes(capsys, tmp_path, worked):
    config = tmp_path / "window.toml"
    config.write_text("[metrics]\nfcr_window_days = 1\n", encoding="utf-8")
    _, out, _ = stats(
        capsys, config, "--db", worked, *NOVEMBER, "--format", "json", "--agent", "alice"
    )
    assert json.loads(out)[0]["fcr"]["success"] == 2  # C3's reopen came after one day


def test_explain_lists_conversations_and_events(capsys, config, worked):
    code, out, _ = stats(
        capsys,
        config,
        "--db",
        worked,
        *NOVEMBER,
        "--explain",
        "first_response_time",
        "--agent",
        "alice",
    )
    assert code == 0
    assert out.splitlines()[0].startswith("first_response_time for alice")
    assert "3 facts" in out.splitlines()[0]
    assert "C1 (email): 1800 s (30m)  inbound -> reply" in out
    assert "C3 (email): 600 s (10m)" in out
    assert "2026-11-02T09:30:00Z  reply      alice" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--agent", "zoe"], "unknown agent 'zoe'"),
        (["--since", "2026-11-10", "--until", "2026-11-01"], "reversed period"),
        (["--since", "2026-11-02T09:00:00Z", "--until", "2026-11-02T09:00:00Z"], "empty period"),
        (["--since", "last tuesday"], "--since: expected 24h, 7d"),
        (["--until", "2026-02-30"], "not a valid date"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, config, worked, args, message):
    code, out, err = stats(capsys, config, "--db", worked, *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err


def test_a_missing_database_is_not_created(capsys, config, tmp_path):
    code, _, err = stats(capsys, config, "--db", tmp_path / "nope.db")
    assert code == 2 and "no such database" in err
    assert not (tmp_path / "nope.db").exists()


def test_no_events_is_an_empty_table_with_a_note(capsys, config, tmp_path):
    Store(tmp_path / "empty.db").close()
    code, out, _ = stats(capsys, config, "--db", tmp_path / "empty.db")
    assert code == 0 and out.rstrip().endswith("No events in this period.")
    code, out, _ = stats(capsys, config, "--db", tmp_path / "empty.db", "--format", "json")
    assert (code, json.loads(out)) == (0, [])
    code, out, _ = stats(capsys, config, "--db", tmp_path / "empty.db", "--format", "csv")
    assert code == 0 and out.startswith("agent,channel,since,until,time,conversations,replies,")


def test_roll_up_of_two_files_counts_a_shared_conversation_once(capsys, config, tmp_path, worked):
    other = Desk(tmp_path / "other.db")
    other.inbound("C2", "Mon 10:00", channel="chat")  # also in desk.db, with a shorter log
    with Store(worked) as desk:  # the same conversation: it has the same key
        key = desk.conversations.get(desk.conversations.id_for_uid("C2")).key
    other.store.conversations.set_key(other.ids["C2"], key)
    other.reply("C2", "bob", "Mon 10:20")
    other.inbound("D1", "Tue 09:00")
    other.reply("D1", "dave", "Tue 09:05")
    other.close()
    code, out, _ = stats(
        capsys, config, "--db", worked, "--db", tmp_path / "other.db", *NOVEMBER, "--format", "json"
    )
    rows = {row["agent"]: row for row in json.loads(out)}
    assert code == 0 and list(rows) == ["alice", "bob", "dave", "(team)"]
    assert rows["(team)"]["conversations"] == 4
    assert rows["bob"]["replies"] == 2 and rows["bob"]["first_response_time"]["count"] == 1
    assert rows["(team)"]["answered_rate"]["count"] == 4


def test_names_and_uids_from_the_log_cannot_drive_the_terminal(capsys, config, tmp_path):
    desk = Desk(tmp_path / "odd.db")
    desk.inbound("X\x1b[2J", "Mon 09:00")
    desk.reply("X\x1b[2J", "mal\x1b]0;owned\x07lory", "Mon 09:10")
    desk.close()
    code, out, _ = stats(capsys, config, "--db", tmp_path / "odd.db", *NOVEMBER)
    assert code == 0 and "\x1b" not in out and "mallory" in out
    code, out, _ = stats(
        capsys, config, "--db", tmp_path / "odd.db", *NOVEMBER, "--explain", "first_response_time"
    )
    assert code == 0 and "\x1b" not in out and "X (email): 600 s" in out


def test_explain_honours_the_format(capsys, config, tmp_path):
    """--explain as CSV and JSON: the same facts, with customer and subject; a customer
    name a spreadsheet would run as a formula is made inert."""
    desk = Desk(tmp_path / "desk.db")
    worked_example(desk)
    cid, _ = desk.store.messages.record_inbound(
        Inbound(
            channel="email",
            address="eve@customer.example",
            name="=HYPERLINK(1)",
            text="hi",
            subject="Order 7",
            at=at("Thu 09:00"),
            thread_key="C5",
            ext_id="c5",
        )
    )
    desk.ids["C5"] = cid
    desk.reply("C5", "alice", "Thu 09:20")
    desk.close()
    args = ("--db", tmp_path / "desk.db", *NOVEMBER, "--explain", "first_response_time")
    code, out, err = stats(capsys, config, *args, "--agent", "alice", "--format", "csv")
    assert (code, err) == (0, "")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["conversation"], r["seconds"], r["value"]) for r in rows] == [
        ("C1", "1800", "30m"),
        ("C3", "600", "10m"),
        ("C3", "1800", "30m"),
        ("C5", "1200", "20m"),
    ]
    assert (
        rows[0]["customer"] == "c1@customer.example" and rows[0]["from"] == "2026-11-02T09:00:00Z"
    )
    assert (rows[3]["customer"], rows[3]["subject"]) == ("'=HYPERLINK(1)", "Order 7")
    code, out, _ = stats(capsys, config, *args, "--format", "json")
    document = json.loads(out)
    assert (document["metric"], document["agent"]) == ("first_response_time", TEAM)
    assert [f["conversation"] for f in document["facts"]] == ["C1", "C2", "C3", "C3", "C5"]
    assert document["facts"][4]["customer"] == "=HYPERLINK(1)"  # JSON is data as it is
