"""Config: the example file loads; every error is one line naming the file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentdesk.cli import main
from agentdesk.config import ConfigError, load_config, parse_config

EXAMPLE = Path(__file__).parent.parent / "config.example.toml"


def test_example_config_loads_cleanly():
    config = load_config(EXAMPLE, required=True)
    assert config.agent_name == "alice"
    assert config.sla_for("chat").warn == 300
    assert config.sla_for("email").breach == 240 * 60


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[agent]\nname = 3\n", "agent.name: expected str, got int 3"),
        ("[agent]\nname = 'two words'\n", "agent.name: must be a single word"),
        (
            "[sla.chat]\nwarn_minutes = 10\nbreach_minutes = 5\n",
            "sla.chat.breach_minutes: must be greater than warn_minutes",
        ),
        ("colour = 'blue'\n", "colour: unknown key"),
        ("[agent\nname='x'\n", "invalid TOML"),
    ],
)
def test_config_errors_name_file_and_key(tmp_path, text, message):
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(error.value).startswith(f"{path}: ")
    assert message in str(error.value)


def test_cli_reports_config_error_in_one_line_with_exit_code_2(tmp_path, capsys):
    path = tmp_path / "config.toml"
    path.write_text("[sla.email]\nwarn_minutes = -1\n")
    assert main(["--config", str(path), "open", "--db", str(tmp_path / "d.db")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "sla.email.warn_minutes: must be greater than 0" in err
    assert "Traceback" not in err
    assert not (tmp_path / "d.db").exists()


def test_cli_refuses_newer_database_in_one_line(tmp_path, capsys):
    import sqlite3

    from agentdesk.store.schema import APPLICATION_ID

    db = tmp_path / "new.db"  # what a newer agentdesk writes: its marker, a higher version
    sqlite3.connect(db).executescript(
        f"PRAGMA application_id = {APPLICATION_ID};PRAGMA user_version = 99;"
    )
    assert main(["open", "--db", str(db)]) == 2
    assert "newer than this agentdesk supports" in capsys.readouterr().err


def test_bad_assist_config_stops_the_desk_in_one_line(tmp_path, capsys):
    path = tmp_path / "config.toml"
    path.write_text('[llm]\napi_key = "sk-secret"\n')
    assert main(["--config", str(path), "open", "--db", str(tmp_path / "d.db")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "llm.api_key" in err and "sk-secret" not in err


COMMANDS = [
    ["open", "--db", "{db}"],
    ["demo", "--no-open", "--db", "{db}"],
    ["import", "{tmp}/in.jsonl", "--db", "{db}"],
    ["export", "-", "--db", "{db}"],
    ["kb", "import", "{tmp}", "--db", "{db}"],
    ["kb", "search", "refund", "--db", "{db}"],
    ["stats", "--db", "{db}"],
    ["connectors"],
    ["connectors", "--options", "email"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[llm]\ntimeout = "fast"\n', "llm.timeout: expected float, got str 'fast'"),
        (
            "[metrics]\nfcr_window_days = 0\n",
            "metrics.fcr_window_days: must be greater than 0, got 0.0",
        ),
        ('connectors = "email"\n', "connectors: expected list, got str 'email'"),
    ],
)
def test_every_command_validates_the_whole_config_at_start(
    tmp_path, capsys, command, text, message
):
    config = tmp_path / "config.toml"
    config.write_text(text)
    (tmp_path / "in.jsonl").write_text("")
    args = [part.format(db=tmp_path / "d.db", tmp=tmp_path) for part in command]
    assert main(["--config", str(config), *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"agentdesk: {config}: {message}\n"
    assert not (tmp_path / "d.db").exists()


def test_macros_read_tags_as_agents_type_them():
    """[[macros]] tags share the tag syntax of the tag prompts: -tag removes one."""
    from agentdesk.domain import tag_changes

    assert tag_changes(["refund", "#VIP", "+late", "-urgent", "-#spam", "-", "#"]) == (
        ["refund", "vip", "late"],
        ["urgent", "spam"],
    )
    config = parse_config(
        {
            "agent": {"name": "alice"},
            "macros": [{"name": "M", "tags": ["Refund", "-urgent"], "assign": "me"}],
        }
    )
    (macro,) = config.macros
    assert (macro.add_tags, macro.remove_tags, macro.assign) == (("refund",), ("urgent",), "alice")
