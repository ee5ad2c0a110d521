#!/usr/bin/env bash
# Install everything the tests need on a fresh machine, then run them all.
# Usage: bash scripts/test.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."

# System services the integration tests start on loopback.
need_apt=()
command -v dovecot >/dev/null 2>&1 || need_apt+=(dovecot-imapd)
command -v tmux >/dev/null 2>&1 || need_apt+=(tmux)
if ((${#need_apt[@]})); then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && apt-get install -y -qq "${need_apt[@]}" >/dev/null
    else
        echo "scripts/test.sh: please install: ${need_apt[*]}" >&2
    fi
fi

python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test]"

# Synapse (the Matrix homeserver the chat tests start) lives in its own venv.
if [ ! -x .venv-synapse/bin/python ] || ! .venv-synapse/bin/python -c "import synapse" 2>/dev/null; then
    python3 -m venv .venv-synapse
    .venv-synapse/bin/python -m pip install -q matrix-synapse
fi

.venv/bin/ruff check agentdesk tests bench examples
.venv/bin/ruff format --check --quiet agentdesk tests bench examples scripts
.venv/bin/mypy
.venv/bin/lint-imports --no-cache --no-logo
.venv/bin/python -m pytest -q "$@"
