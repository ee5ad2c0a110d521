"""Metric definitions of docs/metrics.md, computed from real event logs in SQLite files."""

from __future__ import annotations

import gc
from datetime import UTC, datetime

import pytest
from metrics_data import Desk, at, worked_example

from agentdesk import clock
from agentdesk.config import ConfigError, parse_config
from agentdesk.metrics.aggregate import TEAM, summarize
from agentdesk.metrics.business_hours import BusinessClock
from agentdesk.metrics.collect import collect
from agentdesk.metrics.facts import (
    ANSWERED,
    CSAT,
    FCR,
    FRT,
    FULL_RESOLUTION,
    HANDLE,
    METRICS,
    ONE_TOUCH,
    REOPEN,
    REPLY_TIME,
    RESOLUTION,
    SOURCE_QUERY,
)
from agentdesk.metrics.period import parse_period
from agentdesk.metrics.settings import MetricsSettings, metrics_settings
from agentdesk.store.metrics import PeriodReads

NOVEMBER = parse_period("2026-11-01", "2026-11-30")
LATER = datetime(2026, 12, 31, tzinfo=UTC).timestamp()  # every FCR window has passed


@pytest.fixture
def desk(desk_target):
    desk = Desk(desk_target)
    yield desk
    desk.close()


def facts_of(desk, metric, settings=None, period=NOVEMBER, now=LATER):
    facts = collect([desk.store], period, settings or MetricsSettings(), now=now)
    return sorted(
        ((f.uid, f.agent, f.value, f.state) for f in facts if f.metric == metric),
        key=lambda item: (item[0], str(item[2])),
    )


def row(rows, agent):
    return next(r for r in rows if r.agent == agent)


def test_worked_example_to_the_second(desk):
    worked_example(desk)
    assert facts_of(desk, FRT) == [
        ("C1", "alice", 1800, ""),
        ("C2", "bob", 1200, ""),  # the note does not count
        ("C3", "alice", 1800, ""),
        ("C3", "alice", 600, ""),  # the reopened cycle has its own
    ]
    assert facts_of(desk, REPLY_TIME) == [("C2", "bob", 900, "")]
    assert facts_of(desk, RESOLUTION) == [
        ("C1", "alice", 1860, "cycle 1"),
        ("C2", "bob", 2460, "cycle 1"),
        ("C3", "alice", 1860, "cycle 2"),
        ("C3", "alice", 660, "cycle 1"),
    ]
    fcr = facts_of(desk, FCR)
    assert [(uid, agent, value) for uid, agent, value, _ in fcr] == [
        ("C1", "alice", 1.0),
        ("C2", "bob", 0.0),
        ("C3", "alice", 0.0),
    ]
    assert fcr[0][3] == "success"
    assert "2 replies" in fcr[1][3]
    assert "reopened within the window" in fcr[2][3]
    assert facts_of(desk, REOPEN) == [
        ("C1", "alice", 0.0, "not reopened"),
        ("C2", "bob", 0.0, "not reopened"),
        ("C3", "alice", 1.0, "reopened 1x"),
    ]
    assert facts_of(desk, FULL_RESOLUTION)[2] == ("C3", "alice", 102660, "")  # Tue 08:00-Wed 12:31

    rows = summarize(collect([desk.store], NOVEMBER, MetricsSettings(), now=LATER))
    assert [r.agent for r in rows] == ["alice", "bob", TEAM]
    alice, bob, team = rows
    assert (alice.conversations, alice.replies, bob.conversations, bob.replies) == (2, 3, 1, 2)
    assert alice.figures[FRT].count == 3 and alice.figures[FRT].median == 1800
    assert bob.figures[REPLY_TIME].median == 900
    assert team.figures[FRT].median == 1500 and team.figures[FRT].p90 == 1800
    assert (alice.figures[FCR].count, alice.figures[FCR].hits) == (2, 1)
    assert bob.figures[FCR].percent == 0.0
    assert team.figures[REOPEN].hits == 1 and team.figures[ONE_TOUCH].hits == 1
    assert team.figures[ANSWERED].count == 3 and team.figures[ANSWERED].hits == 3


def test_business_hours_across_a_weekend_and_a_holiday():
    config = parse_config(
        {
            "business_hours": {
                "timezone": "Europe/Berlin",
                "mon": "09:00-17:00",
                "tue": "09:00-12:00, 13:00-17:00",
                "wed": "09:00-17:00",
                "thu": "09:00-17:00",
                "fri": "09:00-17:00",
                "holidays": ["2026-11-09"],
            }
        }
    )
    business = BusinessClock(metrics_settings(config).business_hours).seconds
    stamp = lambda text: clock.parse_iso(text).timestamp()  # noqa: E731
    # Fri 6 Nov 15:00 UTC = 16:00 Berlin: one hour left; Sat, Sun closed, Mon 9 Nov a holiday;
    # Tue 10 Nov 09:00-12:00 and 13:00-13:30 Berlin (12:30 UTC) is open.
    assert business(stamp("2026-11-06T15:00:00Z"), stamp("2026-11-10T12:30:00Z")) == (
        3600 + 3 * 3600 + 1800
    )
    assert business(stamp("2026-11-07T10:00:00Z"), stamp("2026-11-09T16:00:00Z")) == 0
    # Lunch on Tuesday is closed.
    assert business(stamp("2026-11-10T11:00:00Z"), stamp("2026-11-10T12:00:00Z")) == 0


def test_business_hours_config_errors_name_the_key():
    with pytest.raises(ConfigError, match=r"business_hours\.mon: expected opening hours"):
        metrics_settings(parse_config({"business_hours": {"mon": "9 to 5"}}))
    with pytest.raises(ConfigError, match=r"business_hours\.holidays\[0\]"):
        metrics_settings(parse_config({"business_hours": {"holidays": ["25/12/2026"]}}))
    with pytest.raises(ConfigError, match=r"business_hours\.timezone: unknown time zone"):
        metrics_settings(parse_config({"business_hours": {"timezone": "Mars/Base"}}))
    with pytest.raises(ConfigError, match=r"metrics\.fcr_window_days: must be greater than 0"):
        metrics_settings(parse_config({"metrics": {"fcr_window_days": 0}}))
    with pytest.raises(ConfigError, match=r"metrics\.fcr_windw: unknown key"):
        metrics_settings(parse_config({"metrics": {"fcr_windw": 3}}))


def test_business_time_frt_in_the_summary(desk):
    desk.inbound("W", "Fri 16:30")
    desk.reply("W", "alice", "+1 Mon 09:15")
    facts = collect([desk.store], NOVEMBER, MetricsSettings(), now=LATER)
    clock_ = BusinessClock(MetricsSettings().business_hours)  # Mon-Fri 09-17 UTC by default
    alice = row(summarize(facts, business=clock_.seconds), "alice")
    assert alice.figures[FRT].median == 30 * 60 + 15 * 60
    assert row(summarize(facts), "alice").figures[FRT].median == (2 * 86400 + 16 * 3600 + 45 * 60)


def test_a_note_before_the_first_reply_is_not_a_response(desk):
    desk.inbound("N", "Mon 09:00")
    desk.note("N", "bob", "Mon 09:05")
    assert facts_of(desk, FRT) == [("N", None, None, "waiting")]
    desk.reply("N", "bob", "Mon 09:40")
    assert facts_of(desk, FRT) == [("N", "bob", 2400, "")]


def test_an_auto_reply_inbound_is_not_substantive(desk):
    desk.inbound("A", "Mon 09:00")
    desk.reply("A", "alice", "Mon 09:10")
    desk.inbound("A", "Mon 09:11", auto=True)  # the customer's out-of-office answers us
    desk.resolve("A", "alice", "Mon 09:20")
    desk.inbound("A", "Mon 09:25", auto=True)  # does not reopen either
    assert facts_of(desk, REPLY_TIME) == []
    assert facts_of(desk, FRT) == [("A", "alice", 600, "")]
    assert facts_of(desk, FCR) == [("A", "alice", 1.0, "success")]
    assert facts_of(desk, REOPEN) == [("A", "alice", 0.0, "not reopened")]


def test_a_conversation_starting_with_an_auto_inbound_waits_for_the_real_one(desk):
    desk.inbound("B", "Mon 08:00", auto=True)
    desk.inbound("B", "Mon 09:00")
    desk.reply("B", "alice", "Mon 09:05")
    assert facts_of(desk, FRT) == [("B", "alice", 300, "")]


def test_reopen_after_the_window_keeps_fcr_a_success(desk):
    desk.inbound("R", "Mon 09:00")
    desk.reply("R", "alice", "Mon 09:30")
    desk.resolve("R", "alice", "Mon 10:00")
    desk.inbound("R", "+1 Mon 10:01")  # 7 days and 1 minute later
    desk.reply("R", "alice", "+1 Mon 10:30")
    assert facts_of(desk, FCR) == [("R", "alice", 1.0, "success")]
    assert facts_of(desk, REOPEN) == [("R", "alice", 1.0, "reopened 1x")]


def test_reopen_inside_the_window_fails_fcr(desk):
    desk.inbound("R", "Mon 09:00")
    desk.reply("R", "alice", "Mon 09:30")
    desk.resolve("R", "alice", "Mon 10:00")
    desk.inbound("R", "+1 Mon 09:59")
    [(_, agent, value, state)] = facts_of(desk, FCR)
    assert (agent, value) == ("alice", 0.0) and "reopened within the window" in state
    # The second cycle waits for its own first response.
    assert facts_of(desk, FRT) == [("R", "alice", 1800, ""), ("R", None, None, "waiting")]


def test_fcr_is_provisional_until_the_window_has_passed(desk):
    desk.inbound("P", "Mon 09:00")
    desk.reply("P", "alice", "Mon 09:30")
    desk.resolve("P", "alice", "Mon 10:00")
    now = clock.parse_iso(at("Wed 10:00")).timestamp()
    assert facts_of(desk, FCR, now=now) == [("P", "alice", 1.0, "provisional")]
    rows = summarize(collect([desk.store], NOVEMBER, MetricsSettings(), now=now))
    assert row(rows, "alice").figures[FCR].provisional == 1


def test_no_reply_yet_is_counted_as_waiting(desk):
    desk.inbound("Q", "Mon 09:00")
    desk.inbound("Q", "Mon 09:30")
    rows = summarize(collect([desk.store], NOVEMBER, MetricsSettings(), now=LATER))
    team = row(rows, TEAM)
    assert (team.figures[FRT].count, team.figures[FRT].waiting) == (0, 1)
    assert team.figures[ANSWERED].count == 1 and team.figures[ANSWERED].hits == 0
    assert facts_of(desk, FCR) == []


def test_resolution_is_credited_to_the_resolver_after_a_reassignment(desk):
    desk.inbound("X", "Mon 09:00")
    desk.assign("X", "alice", "lead", "Mon 09:01")
    desk.reply("X", "alice", "Mon 09:10")
    desk.assign("X", "bob", "lead", "Mon 11:00")
    desk.resolve("X", "bob", "Mon 12:00")
    desk.assign("X", "carol", "lead", "Tue 08:00")  # assigned later: gets no credit
    assert facts_of(desk, RESOLUTION) == [("X", "bob", 3 * 3600, "cycle 1")]
    assert facts_of(desk, FCR) == [("X", "alice", 1.0, "success")]  # the reply was alice's
    rows = summarize(collect([desk.store], NOVEMBER, MetricsSettings(), now=LATER))
    assert [r.agent for r in rows] == ["alice", "bob", TEAM]


def test_a_cross_channel_repeat_contact_fails_fcr_unless_switched_off(desk):
    desk.inbound("E", "Mon 09:00", address="dana@customer.example")
    desk.reply("E", "alice", "Mon 09:20")
    desk.resolve("E", "alice", "Mon 09:30")
    desk.store.customers.link_identity("dana@customer.example", "chat", "dana-chat")
    desk.inbound("CH", "Wed 15:00", channel="chat", address="dana-chat")
    [(_, _, value, state)] = [f for f in facts_of(desk, FCR) if f[0] == "E"]
    assert value == 0.0 and "another conversation" in state
    off = MetricsSettings(fcr_cross_channel=False)
    assert [f for f in facts_of(desk, FCR, off) if f[0] == "E"] == [("E", "alice", 1.0, "success")]


def test_merging_two_customers_makes_their_repeat_contact_count_against_fcr(desk):
    """A merge in the app (issue 12.12) moves the conversations, so the figures read the
    merged customer from then on: the chat two days later is a repeat contact."""
    email = desk.inbound("E", "Mon 09:00", address="dana@customer.example")
    desk.reply("E", "alice", "Mon 09:20")
    desk.resolve("E", "alice", "Mon 09:30")
    chat = desk.inbound("CH", "Wed 15:00", channel="chat", address="dana-chat")
    assert [f for f in facts_of(desk, FCR) if f[0] == "E"] == [("E", "alice", 1.0, "success")]
    conversations = desk.store.conversations
    desk.store.customers.merge(
        conversations.get(email).customer_id, conversations.get(chat).customer_id, "lead"
    )
    [(_, _, value, state)] = [f for f in facts_of(desk, FCR) if f[0] == "E"]
    assert value == 0.0 and "another conversation" in state


def test_csat_is_credited_to_the_resolver(desk):
    desk.inbound("S", "Mon 09:00")
    desk.reply("S", "alice", "Mon 09:10")
    desk.resolve("S", "bob", "Mon 09:20")
    desk.csat("S", 5, "Mon 10:00")
    desk.inbound("T", "Mon 09:00")
    desk.reply("T", "bob", "Mon 09:10")
    desk.resolve("T", "bob", "Mon 09:20")
    desk.csat("T", 2, "Mon 11:00")
    rows = summarize(collect([desk.store], NOVEMBER, MetricsSettings(), now=LATER))
    assert row(rows, "alice").figures[CSAT].count == 0
    bob = row(rows, "bob").figures[CSAT]
    assert (bob.count, bob.hits, bob.percent) == (2, 1, 50.0)


def test_rebuilding_after_changing_the_fcr_window_gives_the_new_answer(desk):
    worked_example(desk)
    week = {f[0]: f[2] for f in facts_of(desk, FCR)}
    # C3 was reopened 27 h 49 min after its resolve: outside a one-day window.
    config = parse_config({"metrics": {"fcr_window_days": 1}})
    day = {f[0]: f[2] for f in facts_of(desk, FCR, metrics_settings(config))}
    assert week == {"C1": 1.0, "C2": 0.0, "C3": 0.0}
    assert day == {"C1": 1.0, "C2": 0.0, "C3": 1.0}


def test_handle_time_from_focus_intervals(desk):
    desk.inbound("H", "Mon 09:00")
    desk.view("H", "alice", True, "Mon 09:10")
    desk.view("H", "alice", False, "Mon 09:13", reason="leave")  # 180 s
    desk.view("H", "alice", True, "Mon 09:20")
    desk.view("H", "alice", False, "Mon 09:21", reason="idle")  # 60 s
    desk.view("H", "alice", True, "Mon 09:30")  # never closed (crash): capped at 120 s
    desk.view("H", "bob", True, "Mon 09:30")
    desk.view("H", "bob", False, "Mon 09:30", reason="exit", seconds=45)
    assert facts_of(desk, HANDLE) == [
        ("H", "alice", 360.0, "3 intervals"),
        ("H", "bob", 45.0, "1 intervals"),
    ]
    settings = MetricsSettings(idle_cutoff_seconds=30)
    assert facts_of(desk, HANDLE, settings)[0][2] == 270.0


def test_periods_place_each_figure_by_its_event(desk):
    desk.inbound("L", "Sat 23:00")
    desk.reply("L", "alice", "Sun 01:00")  # FRT placed by the reply
    desk.resolve("L", "alice", "+1 Mon 01:00")  # resolution placed by the resolve
    sunday = parse_period("2026-11-08", "2026-11-08")
    assert facts_of(desk, FRT, period=sunday) == [("L", "alice", 7200, "")]
    assert facts_of(desk, RESOLUTION, period=sunday) == []
    monday = parse_period("2026-11-09", "2026-11-09")
    assert facts_of(desk, RESOLUTION, period=monday) == [("L", "alice", 26 * 3600, "cycle 1")]
    assert facts_of(desk, FRT, period=monday) == []


def test_roll_up_counts_a_shared_conversation_once(tmp_path):
    a, b = Desk(tmp_path / "a.db"), Desk(tmp_path / "b.db")
    worked_example(a)
    b.inbound("C1", "Mon 09:00")  # the same conversation (its key), a shorter log in b
    b.store.conversations.set_key(b.ids["C1"], a.store.conversations.get(a.ids["C1"]).key)
    b.reply("C1", "alice", "Mon 09:30")
    b.inbound("D", "Tue 09:00")
    b.reply("D", "dave", "Tue 09:05")
    facts = collect([a.store, b.store], NOVEMBER, MetricsSettings(), now=LATER)
    team = row(summarize(facts), TEAM)
    assert team.conversations == 4  # C1, C2, C3, D
    assert team.figures[FRT].count == 5  # C1, C2, C3 twice, D
    assert sorted({(f.uid, f.source) for f in facts if f.uid == "C1"}) == [("C1", 0)]
    a.close()
    b.close()


def test_roll_up_of_two_desks_numbering_alike_is_their_sum(tmp_path):
    """Two desks that both call a conversation "C1" hold two conversations: the uid is
    a connector's thread key, the key (a UUID) is what makes it the same one."""
    a, b = Desk(tmp_path / "a.db"), Desk(tmp_path / "b.db")
    for desk, agent in ((a, "alice"), (b, "bob")):
        desk.inbound("C1", "Mon 09:00")
        desk.reply("C1", agent, "Mon 09:30")
    facts = collect([a.store, b.store], NOVEMBER, MetricsSettings(), now=LATER)
    team = row(summarize(facts), TEAM)
    assert team.conversations == 2
    assert team.figures[FRT].count == 2
    a.close()
    b.close()


def test_weekly_trends_bucket_first_responses_by_the_week_of_the_reply(desk):
    """The stats screen's sparklines: each agent's median FRT and resolution time, and
    their FCR %, per week, oldest first (None: nothing that week)."""
    from agentdesk.metrics.trends import trends, week_edges

    worked_example(desk)  # Mon 2 - Wed 4 November
    desk.inbound("C4", "+1 Mon 09:00")
    desk.reply("C4", "bob", "+1 Mon 11:00")
    now = datetime(2026, 11, 14, tzinfo=UTC)
    assert week_edges(now, 2) == [
        datetime(2026, 10, 31, tzinfo=UTC),
        datetime(2026, 11, 7, tzinfo=UTC),
        now,
    ]
    found = trends(desk.store, now, 2, MetricsSettings())
    assert {t.agent: t.weekly for t in found[FRT]} == {
        "alice": [1800.0, None],
        "bob": [1200.0, 7200.0],
    }
    assert {t.agent: t.weekly for t in found[RESOLUTION]} == {
        "alice": [1860.0, None],  # C1 31m, C3 11m and 31m
        "bob": [2460.0, None],
    }
    assert {t.agent: t.weekly for t in found[FCR]} == {"alice": [50.0, None], "bob": [0.0, None]}


def test_collecting_some_metrics_gives_the_same_facts_of_them_and_reads_no_others(desk):
    """The trends ask for their four metrics only: the facts of those are the same as
    when every metric is collected, and the queries the others come from are not read
    (no handle time here, though the log has focus intervals)."""
    worked_example(desk)
    desk.view("C1", "alice", True, "Mon 09:10")
    desk.view("C1", "alice", False, "Mon 09:13", reason="leave")
    every = collect([desk.store], NOVEMBER, MetricsSettings(), now=LATER)
    some = collect([desk.store], NOVEMBER, MetricsSettings(), now=LATER, metrics=[FRT, CSAT])
    wanted = {FRT, REPLY_TIME, RESOLUTION, FULL_RESOLUTION, FCR, ONE_TOUCH, REOPEN, CSAT}
    assert sorted(f for f in every if f.metric in wanted) == sorted(some)
    assert any(f.metric == HANDLE for f in every) and not any(f.metric == HANDLE for f in some)
    assert set(SOURCE_QUERY) == set(METRICS)  # a new metric names the query it comes from
    assert set(SOURCE_QUERY.values()) == set(PeriodReads.__dataclass_fields__)  # real names


def test_collecting_leaves_the_cycle_collector_as_it_found_it(desk):
    """The facts are built with Python's cycle collector paused, and it comes back on
    after (unless someone else, such as Textual while scrolling, had paused it)."""
    worked_example(desk)
    assert gc.isenabled()
    assert collect([desk.store], NOVEMBER, MetricsSettings(), now=LATER)
    assert gc.isenabled()
    gc.disable()
    try:
        collect([desk.store], NOVEMBER, MetricsSettings(), now=LATER)
        assert not gc.isenabled()
    finally:
        gc.enable()
