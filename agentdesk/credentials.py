"""Secrets from outside the config file: a command's first line or an environment
variable (``password_command`` / ``password_env``, ``api_key_command`` / ``api_key_env``).

The value is read when it is needed and never stored by agentdesk.
"""

from __future__ import annotations

import os
import subprocess

COMMAND_TIMEOUT = 60.0  # seconds: long enough for a password manager to unlock


class CredentialError(Exception):
    """A secret could not be read: ``key`` is the config key, ``reason`` says why."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key, self.reason = key, reason


def from_command(command: str, key: str) -> str:
    """The first line ``command`` prints, run through the shell as mail clients run their
    password commands (``pass show mail/support``). ``key`` names it in errors."""
    try:
        done = subprocess.run(
            command,
            shell=True,
            capture_output=True,
            timeout=COMMAND_TIMEOUT,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise CredentialError(key, f"could not run ({type(error).__name__})") from None
    if done.returncode != 0:
        raise CredentialError(key, f"failed (exit status {done.returncode})")
    lines = done.stdout.decode("utf-8", errors="replace").splitlines()
    if not lines or not lines[0].strip():
        raise CredentialError(key, "printed nothing")
    return lines[0].rstrip("\r")


def from_environment(variable: str, key: str) -> str:
    """The value of the environment variable ``variable``; ``key`` names it in errors."""
    value = os.environ.get(variable) if variable else None
    if not value:
        raise CredentialError(key, f"environment variable {variable} is not set")
    return value
