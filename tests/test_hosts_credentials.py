"""The loopback rule and the secret readers every feature shares."""

from __future__ import annotations

import pytest

from agentdesk.assist.settings import LLMSettings
from agentdesk.config import ConfigError, Table
from agentdesk.connectors.email.security import MailError, check_security
from agentdesk.connectors.matrix import MatrixConnector
from agentdesk.credentials import CredentialError, from_command, from_environment
from agentdesk.hosts import is_loopback


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "LOCALHOST",
        "localhost.",
        "desk.localhost",
        "localhost.localdomain",
        "127.0.0.1",
        "127.8.9.10",
        "::1",
        "[::1]",
        "::1%lo",
        "::ffff:127.0.0.1",
        "[::ffff:127.0.0.1]",
    ],
)
def test_loopback_hosts(host):
    assert is_loopback(host)


@pytest.mark.parametrize(
    "host",
    [
        "",
        None,
        "example.com",
        "localhost.example.com",
        "mylocalhost",
        "10.0.0.1",
        "::ffff:10.0.0.1",
        "0.0.0.0",
        "::",
        "128.0.0.1",
        "[::2]",
    ],
)
def test_other_hosts(host):
    assert not is_loopback(host)


@pytest.mark.parametrize(
    ("host", "local"), [("[::ffff:127.0.0.1]", True), ("localhost.", True), ("db.lan", False)]
)
def test_the_same_rule_everywhere(host, local):
    """The LLM privacy check, mail's plain-text check and Matrix's plain-http check agree."""
    url = f"http://{host}:8080"
    assert LLMSettings(base_url=f"{url}/v1", model="m").is_loopback is local
    matrix = Table(
        {"type": "matrix", "homeserver": url, "user": "@s:e.org", "password_env": "P"},
        "config.toml",
        "connectors[0]",
    )
    if local:
        check_security("imap", host.strip("[]"), "none")
        MatrixConnector.validate(matrix)
    else:
        with pytest.raises(MailError, match="only allowed for a loopback host"):
            check_security("imap", host, "none")
        with pytest.raises(ConfigError, match="only allowed for a loopback homeserver"):
            MatrixConnector.validate(matrix)


def test_command_first_line():
    assert from_command("printf 'hunter2\\nsecond line\\n'", "password_command") == "hunter2"
    assert from_command("printf 'with spaces  \\r\\n'", "password_command") == "with spaces  "


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        ("exit 3", "failed (exit status 3)"),
        ("true", "printed nothing"),
        ("printf '\\n'", "printed nothing"),
    ],
)
def test_command_failures_are_one_line(command, reason):
    with pytest.raises(CredentialError) as caught:
        from_command(command, "password_command")
    assert str(caught.value) == f"password_command: {reason}"
    assert caught.value.key == "password_command" and caught.value.reason == reason


def test_command_reads_no_terminal():
    """A command asking for input gets end-of-file, not the desk's terminal."""
    assert from_command("read line || echo no-input", "api_key_command") == "no-input"


def test_environment(monkeypatch):
    monkeypatch.setenv("AGENTDESK_TEST_SECRET", "s3cret")
    assert from_environment("AGENTDESK_TEST_SECRET", "password_env") == "s3cret"
    monkeypatch.setenv("AGENTDESK_TEST_SECRET", "")
    with pytest.raises(CredentialError, match="environment variable AGENTDESK_TEST_SECRET is"):
        from_environment("AGENTDESK_TEST_SECRET", "password_env")
