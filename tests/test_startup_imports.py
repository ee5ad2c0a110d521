"""What the desk imports before its first paint: not the conversation screen, the assist
checks or the model client (they are imported in a thread after the paint, app.warm_up)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow  # a fresh interpreter in a child process
def test_the_app_and_inbox_import_no_assist_or_conversation_modules():
    code = (
        "import sys; import agentdesk.app, agentdesk.screens.inbox;"
        "late = ('agentdesk.screens.conversation', 'agentdesk.assist.presend',"
        " 'agentdesk.assist.mood', 'agentdesk.assist.ranking', 'openai');"
        "print(sorted(m for m in late if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.stdout.strip() == "[]", done.stderr
