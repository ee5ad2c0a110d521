"""The command line as it is used from a shell: closed pipes, and the files it may touch."""

from __future__ import annotations

import hashlib
import os
import shlex
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from mailservers import free_port

from agentdesk.cli import COMMANDS as COMMANDS_SHOWN
from agentdesk.cli import main
from agentdesk.store import probe
from agentdesk.store.db import apply_migrations, connect
from agentdesk.store.schema import APPLICATION_ID

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    """A generated demo desk with its help centre, big enough to fill any pipe."""
    from agentdesk.commands.demo import prepare

    path = tmp_path_factory.mktemp("cli") / "demo.db"
    prepare(path, seed=7)
    return path


def shell(tmp_path, pipeline: str, db: Path) -> subprocess.CompletedProcess:
    """Run a bash pipeline where ``{agentdesk}`` is the real CLI and ``{db}`` the desk."""
    command = pipeline.format(
        agentdesk=f"{shlex.quote(sys.executable)} -m agentdesk", db=shlex.quote(str(db))
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "AGENTDESK_CONFIG": str(tmp_path / "none.toml")}
    return subprocess.run(
        ["bash", "-c", f"set -o pipefail; {command}"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    "pipeline",
    [
        "{agentdesk} export - --db {db} | head -1",
        "{agentdesk} kb search refund parcel --limit 50 --db {db} | head -3",
        # A reader gone before the first line, what `| head -3` sometimes is:
        "{agentdesk} kb search refund parcel --db {db} | true",
        "{agentdesk} stats --since 60d --format csv --db {db} | true",
    ],
)
@pytest.mark.slow  # the CLI in a child process
def test_a_closed_pipe_is_a_normal_end(tmp_path, demo_db, pipeline):
    done = shell(tmp_path, pipeline, demo_db)
    assert (done.returncode, done.stderr) == (0, "")


# ---- files the CLI does not own ---------------------------------------------------------
def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(arg) for arg in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def inputs(tmp_path):
    """An import file and a help-centre folder, so only the database can be wrong."""
    (tmp_path / "in.jsonl").write_text("")
    (tmp_path / "kb").mkdir()
    return tmp_path


COMMANDS = {
    "open": ["open"],
    "demo": ["demo", "--no-open"],
    "demo --regenerate": ["demo", "--no-open", "--regenerate"],
    "import": ["import", "{tmp}/in.jsonl"],
    "kb import": ["kb", "import", "{tmp}/kb"],
    "export": ["export", "-"],
    "kb search": ["kb", "search", "refund"],
    "stats": ["stats"],
}
READERS = ["export", "kb search", "stats"]


def command(name: str, tmp_path: Path, db) -> list[str]:
    return [*(part.format(tmp=tmp_path) for part in COMMANDS[name]), "--db", str(db)]


@pytest.mark.parametrize("name", COMMANDS)
def test_another_programs_sqlite_file_is_refused_and_untouched(tmp_path, inputs, capsys, name):
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    with conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        conn.executemany("INSERT INTO invoices (total) VALUES (?)", [(9.5,), (12.0,)])
    conn.close()
    before, files = digest(other), sorted(tmp_path.iterdir())
    code, out, err = run(capsys, *command(name, tmp_path, other))
    assert (code, out) == (2, "")
    assert err == (
        f"agentdesk: {other}: not an agentdesk database (a SQLite file of "
        "another program); nothing was written\n"
    )
    assert digest(other) == before and sorted(tmp_path.iterdir()) == files


@pytest.mark.parametrize("name", COMMANDS)
def test_a_file_that_is_not_a_database_is_refused_and_untouched(tmp_path, inputs, capsys, name):
    notes = tmp_path / "notes.db"
    notes.write_text("shopping list: eggs, milk\n" * 200)
    before = digest(notes)
    code, out, err = run(capsys, *command(name, tmp_path, notes))
    assert (code, out) == (2, "")
    assert err.startswith(f"agentdesk: {notes}: not an agentdesk database (")
    assert err.count("\n") == 1 and digest(notes) == before


@pytest.mark.parametrize("name", ["import", "kb import", "demo"])
def test_a_mistyped_path_gets_a_new_desk_and_says_so(tmp_path, inputs, capsys, name):
    db = tmp_path / "desks" / "alcie.db"
    code, out, err = run(capsys, *command(name, tmp_path, db))
    assert code == 0
    assert err == f"new desk created at {db}\n"
    assert "new desk" not in out
    assert probe(db).exists
    code, _, err = run(capsys, *command(name, tmp_path, db))
    assert (code, err) == (0, "")  # the second time it is an agentdesk desk


@pytest.mark.parametrize("name", READERS)
def test_readers_never_create_a_desk(tmp_path, capsys, name):
    db = tmp_path / "desks" / "alcie.db"
    code, out, err = run(capsys, *command(name, tmp_path, db))
    assert (code, out, err) == (2, "", f"agentdesk: {db}: no such database\n")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", COMMANDS)
def test_an_unreachable_database_server_is_one_line(tmp_path, inputs, capsys, monkeypatch, name):
    """Every command takes a postgresql:// URL; a server that is not there is one line,
    exit code 2, without the password, and no file is made from the URL."""
    monkeypatch.chdir(tmp_path)
    files = sorted(tmp_path.iterdir())
    port = free_port()  # nothing listens there
    url = f"postgresql://desk:s3cret@127.0.0.1:{port}/desk"
    code, out, err = run(capsys, *command(name, tmp_path, url))
    assert (code, out) == (2, "")
    assert err == f"agentdesk: database: cannot connect to 127.0.0.1:{port} (connection refused)\n"
    assert sorted(tmp_path.iterdir()) == files  # no postgresql: directory


def test_another_database_url_is_refused(tmp_path, capsys):
    code, out, err = run(capsys, "stats", "--db", "mysql://desk:s3cret@db/desk")
    assert (code, out) == (2, "")
    assert err == (
        "agentdesk: --db: mysql:// databases are not supported; give the path of a SQLite"
        " file or a postgresql:// URL\n"
    )


def test_a_password_in_the_config_is_one_line_naming_the_key(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "config.toml"
    config.write_text('database = "postgresql://desk:s3cret@db/desk"\n')
    code, _, err = run(capsys, "--config", config, "stats")
    assert code == 2 and "s3cret" not in err
    assert err == (
        f"agentdesk: {config}: database: a password does not belong in the config file;"
        " leave it out of the URL and use ~/.pgpass (PGPASSFILE) or PGPASSWORD"
        " (docs/database.md)\n"
    )


def old_desk(path: Path, version: int) -> Path:
    """A desk as an agentdesk at schema ``version`` (before the marker) wrote it, with one
    conversation when that version could hold one the way today's code writes it."""
    conn = connect(path)
    apply_migrations(conn, target=version)
    if version >= 4:  # (written with that schema's columns, as that agentdesk did)
        at = "2026-11-02T09:00:00Z"
        conn.executescript(f"""
            INSERT INTO customers (id, name, first_seen) VALUES (1, 'Ann', '{at}');
            INSERT INTO identities (customer_id, channel, address)
                VALUES (1, 'email', 'ann@example.com');
            INSERT INTO conversations (id, uid, channel, customer_id, subject, created_at,
                last_message_at, waiting_since) VALUES (1, 'c1', 'email', 1, 'Parcel',
                '{at}', '{at}', '{at}');
            INSERT INTO messages (id, conversation_id, direction, author, at, body)
                VALUES (1, 1, 'in', 'ann@example.com', '{at}', 'Where is my parcel?');
            INSERT INTO events (conversation_id, kind, at) VALUES (1, 'created', '{at}');
            INSERT INTO events (conversation_id, kind, at, message_id)
                VALUES (1, 'inbound', '{at}', 1);
        """)
    conn.close()
    return path


@pytest.mark.parametrize("name", READERS)
def test_readers_read_an_older_desk_as_it_is(tmp_path, capsys, name):
    db = old_desk(tmp_path / "old.db", 4)
    before = digest(db)
    code, _, err = run(
        capsys,
        *command(name, tmp_path, db),
        *(["--since", "2026-11-01", "--until", "2026-11-30"] if name == "stats" else []),
    )
    assert code in (0, 1) and err == ""  # kb search finds no article: 1
    assert digest(db) == before and not list(tmp_path.glob("*.bak"))
    assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0] == 4


def test_a_desk_too_old_to_read_says_how_to_upgrade_it(tmp_path, capsys):
    db = old_desk(tmp_path / "old.db", 1)
    before = digest(db)
    code, _, err = run(capsys, "export", "-", "--db", db)
    assert code == 2 and digest(db) == before
    assert err == (
        f"agentdesk: {db}: database schema version 1 is too old to read; open it "
        f"once with `agentdesk open --db {db}` to upgrade it\n"
    )


def test_an_older_desk_gets_the_marker_when_a_writer_opens_it(tmp_path, inputs, capsys):
    db = old_desk(tmp_path / "old.db", 4)
    code, _, err = run(capsys, "import", tmp_path / "in.jsonl", "--db", db)
    assert (code, err) == (0, "")
    assert sqlite3.connect(db).execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert (tmp_path / "old.db.v4.bak").exists()


def test_demo_never_writes_into_a_desk_it_did_not_make(tmp_path, inputs, capsys):
    desk = tmp_path / "desk.db"
    assert run(capsys, "import", tmp_path / "in.jsonl", "--db", desk)[0] == 0
    before = digest(desk)
    for args in (["--regenerate"], []):
        code, out, err = run(capsys, "demo", "--no-open", "--db", desk, *args)
        assert (code, out) == (2, "")
        assert err == (
            f"agentdesk: {desk}: an agentdesk desk that `agentdesk demo` did not "
            "make; demo data never goes into it (choose another --db)\n"
        )
        assert digest(desk) == before
    old_demo = old_desk(tmp_path / "old-demo.db", 4)  # unmarked, not at the default place
    assert run(capsys, "demo", "--no-open", "--regenerate", "--db", old_demo)[0] == 2


def test_the_default_demo_file_from_before_the_marker_regenerates(
    tmp_path, capsys, monkeypatch, frozen_clock
):
    from agentdesk.config import demo_database_path

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    path = demo_database_path()
    path.parent.mkdir(parents=True)
    old_desk(path, 4)
    code, out, err = run(capsys, "demo", "--no-open", "--regenerate")
    assert code == 0 and "generated" in out
    assert err == f"new desk created at {path}\n"
    assert probe(path).demo


def test_a_database_path_that_cannot_be_a_file_is_one_line(tmp_path, inputs, capsys):
    (tmp_path / "notes.txt").write_text("not a folder")
    db = tmp_path / "notes.txt" / "desk.db"
    code, out, err = run(capsys, "import", tmp_path / "in.jsonl", "--db", db)
    assert (code, out) == (2, "")
    assert err.startswith(f"agentdesk: {db}: cannot write here (") and err.count("\n") == 1


def test_connectors_never_creates_the_database(tmp_path, capsys):
    config = tmp_path / "config.toml"
    config.write_text(f'database = "{tmp_path / "desk.db"}"\n')
    code, out, _ = run(capsys, "--config", config, "connectors")
    assert code == 0 and out.startswith("NAME")
    assert not (tmp_path / "desk.db").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["--config", "{cfg}", "kb", "search", "refund", "--db", "{db}"],
        ["kb", "search", "--config", "{cfg}", "refund", "--db", "{db}"],
        ["kb", "--config", "{cfg}", "search", "refund", "--db", "{db}"],
        ["--config", "{missing}", "kb", "search", "refund", "--db", "{db}", "--config", "{cfg}"],
        ["open", "--config", "{cfg}", "--db", "{db}"],
        ["connectors", "--config", "{cfg}"],
        ["stats", "--db", "{db}", "--config", "{cfg}"],
    ],
)
def test_config_is_taken_before_or_after_the_command(tmp_path, capsys, argv):
    """``agentdesk open --config f`` works as ``agentdesk --config f open`` does; the one
    after the command wins."""
    config = tmp_path / "config.toml"
    config.write_text('[agent]\nname = "zed"\n[kb]\nsuggestions = 99\n')
    names = {"cfg": config, "db": tmp_path / "desk.db", "missing": tmp_path / "missing.toml"}
    code, _, err = run(capsys, *(a.format(**names) for a in argv))
    assert code == 2 and f"{config}: kb.suggestions" in err  # this config was read


def test_a_missing_config_after_the_command_is_one_line(tmp_path, capsys):
    code, out, err = run(capsys, "connectors", "--config", tmp_path / "nope.toml")
    assert (code, out, err) == (2, "", f"agentdesk: {tmp_path / 'nope.toml'}: file not found\n")


# ---- commands load on demand --------------------------------------------------------------
def test_help_lists_every_command_with_its_line(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "300")  # one line per command
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    lines = capsys.readouterr().out.splitlines()
    assert done.value.code == 0
    listed = {line.split()[0]: " ".join(line.split()[1:]) for line in lines if line[:4] == "    "}
    assert listed == {name: text for name, (_, text) in COMMANDS_SHOWN.items()}


@pytest.mark.parametrize("name", COMMANDS_SHOWN)
def test_each_command_shows_its_own_help(capsys, name):
    with pytest.raises(SystemExit) as done:
        main([name, "--help"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: agentdesk {name} [-h] [--config CONFIG]")
