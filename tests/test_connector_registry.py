"""Connector discovery: entry points listed without importing, one line per broken plugin."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import eventually

from agentdesk import cli
from agentdesk.config import ConfigError, connector_tables, load_config
from agentdesk.connectors.demo import DemoConnector
from agentdesk.connectors.email import EmailConnector
from agentdesk.connectors.registry import installed, load_connectors
from agentdesk.testing import table

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def plugins(tmp_path, monkeypatch):
    """Two installed plugin distributions: one that works and one that cannot import."""
    site = tmp_path / "site"
    (site / "goodplug").mkdir(parents=True)
    (site / "goodplug" / "__init__.py").write_text(
        textwrap.dedent("""
        from agentdesk.connectors.base import Connector, DeliveryResult, Option
        IMPORTED = True

        class Good(Connector):
            name = "good"
            channels = ("sms",)
            options = (Option("number", required=True),)

            async def incoming(self):
                return
                yield

            async def send(self, reply):
                return DeliveryResult("sent")
    """)
    )
    for dist, version, line in (
        ("goodplug", "1.2.0", "good = goodplug:Good"),
        ("badplug", "0.3.1", "bad = badplug_missing.module:Bad"),
    ):
        info = site / f"{dist}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        (info / "entry_points.txt").write_text(f"[agentdesk.connectors]\n{line}\n")
    monkeypatch.syspath_prepend(str(site))
    return site


def write_config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(textwrap.dedent(body))
    return path


def test_installed_lists_names_and_versions_without_importing(plugins):
    found = installed()
    assert {"demo", "email", "good", "bad"} <= set(found)
    assert (found["good"].distribution, found["good"].version) == ("goodplug", "1.2.0")
    assert (found["bad"].distribution, found["bad"].version) == ("badplug", "0.3.1")
    assert "goodplug" not in sys.modules


def test_only_configured_connectors_are_imported_and_broken_ones_are_one_line(plugins, tmp_path):
    config = load_config(
        write_config(
            tmp_path,
            """
        [[connectors]]
        type = "good"
        number = "+15550100"

        [[connectors]]
        type = "bad"

        [[connectors]]
        type = "demo"
        name = "practice"
        interval = "fast"

        [[connectors]]
        type = "nope"
    """,
        )
    )
    connectors, problems = load_connectors(config)
    assert [(c.name, c.label, c.settings) for c in connectors] == [
        ("good", "good", {"number": "+15550100"})
    ]
    assert len(problems) == 3 and all("\n" not in p for p in problems)
    assert problems[0].startswith("connector bad: failed to load: ModuleNotFoundError")
    assert problems[1] == (
        f"connector demo (practice): {tmp_path / 'config.toml'}: "
        "connectors[2].interval: expected float, got str 'fast'"
    )
    assert problems[2].startswith("connector nope: not installed (known: ")


@pytest.mark.slow  # a fresh interpreter in a child process
def test_non_configured_builtin_is_not_imported(tmp_path):
    path = write_config(tmp_path, '[[connectors]]\ntype = "demo"\n')
    code = (
        "import sys; from agentdesk.config import load_config;"
        "from agentdesk.connectors.registry import load_connectors, installed;"
        f"installed(); c, p = load_connectors(load_config({str(path)!r}));"
        "assert [x.name for x in c] == ['demo'] and not p, p;"
        "assert 'agentdesk.connectors.email' not in sys.modules; print('ok')"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.stdout.strip() == "ok", done.stderr


def test_connectors_command_lists_state(plugins, tmp_path, capsys):
    path = write_config(
        tmp_path,
        """
        [[connectors]]
        type = "demo"

        [[connectors]]
        type = "bad"
    """,
    )
    code = cli.main(["--config", str(path), "connectors"])
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    assert out[0].split() == ["NAME", "PACKAGE", "VERSION", "STATE"]
    rows = {line.split()[0]: line for line in out[1:]}
    assert rows["demo"].endswith("configured (demo)")
    assert rows["email"].endswith("installed, not configured")
    assert "0.3.1" in rows["bad"] and "failed to load: ModuleNotFoundError" in rows["bad"]
    assert "1.2.0" in rows["good"]


def test_connectors_command_shows_options(capsys):
    assert cli.main(["connectors", "--options", "email"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# email: sends replies, live, threaded\n")
    assert "imap_security = <str> [tls|starttls|none] (default 'tls')" in out
    assert "password_command = <str> secret" in out


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"imap_port": "993"}, r"connectors\[0\]\.imap_port: expected int, got str '993'"),
        ({"imap_security": "ssl"}, r"connectors\[0\]\.imap_security: must be one of tls, starttls"),
        ({"folders": "INBOX"}, r"connectors\[0\]\.folders: expected list"),
        ({"idle_minutes": 45}, r"connectors\[0\]\.idle_minutes: must be between 0 and 29"),
        ({"password_env": None}, r"connectors\[0\]\.password_command: set password_command or"),
        ({"imap_host": None}, r"connectors\[0\]\.imap_host: required"),
        ({"colour": "red"}, r"connectors\[0\]\.colour: unknown key"),
        ({"address": "help"}, r"connectors\[0\]\.address: 'help': addr-spec local part with no"),
    ],
)
def test_email_options_are_validated_naming_the_key(data, message):
    good = {
        "type": "email",
        "address": "help@desk.test",
        "username": "help",
        "password_env": "X",
        "imap_host": "imap.desk.test",
    }
    settings = {key: value for key, value in {**good, **data}.items() if value is not None}
    with pytest.raises(ConfigError, match=message):
        EmailConnector.validate(table(settings))
    assert EmailConnector.validate(table(good))["folders"] == ["INBOX"]


def test_demo_validates_with_defaults():
    assert DemoConnector.validate(table({"type": "demo"})) == {"interval": 0.0}


def test_example_config_email_table_is_valid():
    config = load_config(ROOT / "config.example.toml", required=True)
    tables = [t for t in connector_tables(config) if t.data.get("type") == "email"]
    assert len(tables) == 1
    settings = EmailConnector.validate(tables[0])
    assert settings["imap_security"] == "tls" and settings["folders"] == ["INBOX"]


async def test_a_connector_that_cannot_start_becomes_one_line_of_state(tmp_path):
    from agentdesk.delivery import ChannelHost
    from agentdesk.store import Store

    class Broken(DemoConnector):
        starts = 0

        async def start(self):
            self.starts += 1
            raise OSError("connection refused\nby the server")

    broken, working = Broken({}), DemoConnector({})
    broken.label = "practice"
    seen: list[str] = []
    broken.on_state = seen.append
    failures: list[str] = []
    with Store(tmp_path / "desk.db") as store:
        host = ChannelHost(store, [broken, working])
        host.restart_first = 0.05
        await host.run(working)  # a connector whose stream ends is done
        supervised = asyncio.create_task(host.run(broken, on_failure=failures.append))
        # restarted, again and again (with backoff)
        await eventually(lambda: broken.starts >= 3, what="three starts")
        supervised.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await supervised
    assert seen[0].startswith(
        "practice: failed to start: connection refused by the server · restarting in "
    )
    assert failures == ["practice: failed to start: connection refused by the server"]
