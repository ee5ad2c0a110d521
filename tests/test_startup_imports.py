"""What the desk imports before its first paint: not the conversation screen, the assist
checks or the model client (they are imported in a thread after the paint, app.warm_up)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def printed(code: str) -> str:
    """What a fresh interpreter running ``code`` prints."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.slow  # a fresh interpreter in a child process
def test_the_app_and_inbox_import_no_assist_or_conversation_modules():
    code = (
        "import sys; import agentdesk.app, agentdesk.screens.inbox;"
        "late = ('agentdesk.screens.conversation', 'agentdesk.assist.presend',"
        " 'agentdesk.assist.mood', 'agentdesk.assist.ranking', 'openai', 'html2text',"
        " 'agentdesk.surveys.answers', 'agentdesk.surveys.sending');"
        "print(sorted(m for m in late if m in sys.modules))"
    )
    assert printed(code) == "[]"


@pytest.mark.slow  # a fresh interpreter in a child process
def test_a_desk_on_sqlite_imports_none_of_postgresqls_modules(tmp_path):
    """The dialect, the schema and the connection class of PostgreSQL (2.5-3.5 ms of
    the first paint) load only for a postgresql:// desk."""
    code = (
        "import sys; from agentdesk.app import make_app; from agentdesk.config import Config;"
        f"make_app(Config(agent_name='agent01'), {str(tmp_path / 'desk.db')!r}, []).store.close();"
        "print(sorted(m for m in sys.modules"
        " if m.startswith(('agentdesk.store.postgres', 'psycopg'))))"
    )
    assert printed(code) == "[]"


@pytest.mark.slow  # a fresh interpreter in a child process
def test_a_command_imports_its_own_module_and_the_config_no_sending_code(tmp_path):
    """``agentdesk stats`` imports no other command's module (the app, the web server),
    and reading the config imports neither the connector registry (package metadata,
    asyncio) nor the sending code: a 30-day stats run paid 0.1-0.2 s for them."""
    config = tmp_path / "config.toml"
    config.write_text("")
    code = (
        "import sys; from agentdesk.cli import main;"
        f"main(['--config', {str(config)!r}, 'stats', '--db', {str(tmp_path / 'none.db')!r}]);"
        "late = ('agentdesk.connectors.registry', 'agentdesk.delivery', 'asyncio',"
        " 'importlib.metadata');"
        "print(sorted(m for m in sys.modules if m in late or m.startswith('agentdesk.commands.')))"
    )
    assert printed(code) == "['agentdesk.commands.stats']"


@pytest.mark.slow  # a fresh interpreter in a child process
def test_making_the_app_reads_the_metrics_settings_without_the_metrics_themselves():
    """The app reads ``[metrics]`` (the idle cut-off) as it is made; the facts and their
    aggregation (30 ms of every start) wait for the stats screen or command."""
    code = (
        "import sys; from agentdesk.app import make_app; from agentdesk.config import Config;"
        "make_app(Config(agent_name='alice'), ':memory:', []);"
        "print(sorted(m for m in sys.modules if m.startswith('agentdesk.metrics')))"
    )
    assert printed(code) == "['agentdesk.metrics', 'agentdesk.metrics.settings']"


@pytest.mark.slow  # a fresh interpreter in a child process
def test_the_warm_up_loads_what_the_first_mood_analysis_needs(tmp_path):
    """vaderSentiment's lexicon and the synonym patterns (30-40 ms of CPU) load in the
    warm-up thread, so the first conversation's assist panel fills as soon as any
    other's (87 -> 59 ms after Enter, measured in bench_ui's fresh processes)."""
    code = (
        "import asyncio\n"
        "from agentdesk.app import make_app\n"
        "from agentdesk.assist import mood, synonyms\n"
        "from agentdesk.config import Config\n"
        "async def main():\n"
        f"    app = make_app(Config(agent_name='agent01'), {str(tmp_path / 'desk.db')!r}, [])\n"
        "    async with app.run_test():\n"
        "        await app.warm_up().wait()\n"
        "        print(mood._analyzer is not None, synonyms._patterns.cache_info().currsize)\n"
        "asyncio.run(main())\n"
    )
    assert printed(code) == "True 1"
