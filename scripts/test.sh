#!/usr/bin/env bash
# Install everything the tests need on a fresh machine, then run the checks and pytest.
# Usage: bash scripts/test.sh [--fast] [pytest args...]
#   (default)  every test, spread over one pytest-xdist worker per CPU
#   --fast     only the tests that need no server, terminal or child process (those not
#              marked `slow`, see tests/conftest.py), without the dovecot, tmux and
#              Synapse installs they do not need
# Both end with pytest's ten slowest tests and the time the whole run took.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS

fast=false
if [ "${1:-}" = "--fast" ]; then
    fast=true
    shift
fi

if ! $fast; then
    # System services the integration tests start on loopback.
    need_apt=()
    command -v dovecot >/dev/null 2>&1 || need_apt+=(dovecot-imapd)
    command -v tmux >/dev/null 2>&1 || need_apt+=(tmux)
    # PostgreSQL for the store's second engine (tests/postgres.py starts a private one).
    command -v initdb >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null \
        || need_apt+=(postgresql)
    # Chromium for the browser test of `agentdesk web` (playwright drives this binary;
    # it never downloads a browser of its own).
    [ -x /usr/bin/chromium ] || need_apt+=(chromium)
    if ((${#need_apt[@]})); then
        if [ "$(id -u)" = 0 ]; then
            apt-get update -qq && apt-get install -y -qq "${need_apt[@]}" >/dev/null
        else
            echo "scripts/test.sh: please install: ${need_apt[*]}" >&2
        fi
    fi
fi

# The package is installed editable, so only a changed pyproject.toml needs pip again.
[ -x .venv/bin/python ] || python3 -m venv .venv
if ! cmp -s pyproject.toml .venv/installed-pyproject.toml; then
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e ".[test]"
    cp pyproject.toml .venv/installed-pyproject.toml
fi

# Synapse (the Matrix homeserver the chat tests start) lives in its own venv, unless
# AGENTDESK_SYNAPSE_PYTHON names an interpreter that has it.
if ! $fast && [ -z "${AGENTDESK_SYNAPSE_PYTHON:-}" ]; then
    if [ ! -x .venv-synapse/bin/python ] || ! .venv-synapse/bin/python -c "import synapse" 2>/dev/null; then
        python3 -m venv .venv-synapse
        .venv-synapse/bin/python -m pip install -q matrix-synapse
    fi
fi

.venv/bin/ruff check agentdesk tests bench examples
.venv/bin/ruff format --check --quiet agentdesk tests bench examples scripts
.venv/bin/mypy
.venv/bin/lint-imports --no-cache --no-logo
# Each worker imports the package and the test modules again (pytest rewrites every
# assert); with PYTHONDONTWRITEBYTECODE set that was compiled from source each run, about
# 5 s of CPU per worker. The bytecode goes to .venv/pycache, never into the checkout.
unset PYTHONDONTWRITEBYTECODE
export PYTHONPYCACHEPREFIX="$PWD/.venv/pycache"
select=()
workers=auto
# The fast tests spend much of their time waiting (Pilot pauses, timers): three workers
# per CPU ran them in 144-175 s instead of 175-218 s on 2 cores (CONTRIBUTING.md).
$fast && select=(-m "not slow") && workers=$(($(nproc) * 3))
# One worker per CPU. Each worker starts on a block of the tests in file order and, once
# out of work, takes tests from the end of another's block (worksteal): the fast suite
# ended 6 s sooner than with `--dist load`, whose last worker ran 8 s after the others.
.venv/bin/python -m pytest -q "${select[@]}" --numprocesses "$workers" --dist worksteal \
    --durations 10 "$@"
echo "scripts/test.sh: $((SECONDS - started)) s in all"
