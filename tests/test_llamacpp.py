"""Every stream ending against a real llama.cpp server: ``bench/bench_llamacpp.py`` run
as a test where llama-cpp-python is installed (``pip install -e '.[llamacpp]'``: it
compiles llama.cpp, so it is an extra), skipped with the reason elsewhere.

The bench checks, through the desk's own assist path, a complete draft, the length stop,
a server killed and one stopped mid-stream, a hung endpoint, another client's request
cutting the stream, ``agentdesk draft --format json`` and the app under Pilot; it exits
1 naming any ending that is not what the desk should say.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MISSING = [name for name in ("llama_cpp", "gguf") if importlib.util.find_spec(name) is None]


@pytest.mark.slow
@pytest.mark.skipif(bool(MISSING), reason=f"needs {' and '.join(MISSING)} (the llamacpp extra)")
def test_every_stream_ending_against_a_real_llama_cpp_server(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_llamacpp.py"), "--log", str(tmp_path / "log")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    print(done.stdout)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "every ending as expected" in done.stdout
