"""The command line as it is used from a shell: closed pipes, and the files it may touch."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    """A generated demo desk with its help centre, big enough to fill any pipe."""
    from agentdesk.commands.demo import prepare

    path = tmp_path_factory.mktemp("cli") / "demo.db"
    prepare(path, seed=7)
    return path


def shell(tmp_path, pipeline: str) -> subprocess.CompletedProcess:
    """Run ``agentdesk …`` inside a bash pipeline; ``$AGENTDESK`` is the real CLI."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "AGENTDESK_CONFIG": str(tmp_path / "none.toml"),
           "AGENTDESK": f"{shlex.quote(sys.executable)} -m agentdesk"}
    return subprocess.run(["bash", "-c", f"set -o pipefail; {pipeline}"], capture_output=True,
                          text=True, env=env, timeout=60, check=False)


@pytest.mark.parametrize("pipeline", [
    "$AGENTDESK export - --db {db} | head -1",
    "$AGENTDESK kb search refund parcel --limit 50 --db {db} | head -3",
    # A reader gone before the first line, what `| head -3` sometimes is:
    "$AGENTDESK kb search refund parcel --db {db} | true",
    "$AGENTDESK stats --since 60d --format csv --db {db} | true",
])
def test_a_closed_pipe_is_a_normal_end(tmp_path, demo_db, pipeline):
    done = shell(tmp_path, pipeline.format(db=shlex.quote(str(demo_db))))
    assert (done.returncode, done.stderr) == (0, "")
