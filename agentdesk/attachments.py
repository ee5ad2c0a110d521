"""Customer attachments out of the desk: saved to a file, or opened with the system opener.

Attachment bytes are the customer's: they are written without an execute bit, never over
an existing file, under a name reduced to one harmless path component, and only types a
viewer shows (images, PDF, plain text) are handed to the opener. Nothing here runs the
content itself; the opener is a fixed command given the file's path as one argument.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

from agentdesk.domain import Attachment

# Types the system opener may be given: viewers, not programs. Anything else is saved.
VIEWABLE = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".log": "text/plain",
}
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


def default_opener() -> str:
    """The platform's "open this file" command."""
    return "open" if sys.platform == "darwin" else "xdg-open"


def safe_name(filename: str) -> str:
    """``filename`` as one harmless path component: no directories, control characters,
    leading dots or reserved characters ("../../.bashrc" becomes "bashrc")."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", base).strip(" .")
    return name[:200] or "attachment"


def why_not_open(attachment: Attachment) -> str:
    """Why the opener is not offered for ``attachment`` ('' when it is): its name must end
    in a viewable type, and its declared type must not say otherwise."""
    suffix = Path(safe_name(attachment.filename)).suffix.lower()
    if suffix not in VIEWABLE:
        shown = suffix or "no extension"
        return f"{shown} files are not opened from the desk (only {' '.join(VIEWABLE)}); save it"
    declared = attachment.content_type.split(";")[0].strip().lower()
    if declared not in ("", "application/octet-stream", VIEWABLE[suffix]):
        return f"its name says {suffix} but the mail says {declared}; save it"
    return ""


def save(data: bytes, path: Path) -> Path:
    """Write ``data`` to a new file at ``path`` (readable by its owner only, never
    executable); raises ``FileExistsError`` rather than replace a file."""
    path = path.expanduser()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    return path


def open_copy(attachment: Attachment, data: bytes, opener: str) -> Path:
    """Save a private copy (in a new directory only the agent can read) and hand its path
    to ``opener``, which runs detached from the desk; returns the copy's path.

    Raises ``ValueError`` when the type is not one a viewer shows (``why_not_open``).
    """
    problem = why_not_open(attachment)
    if problem:
        raise ValueError(problem)
    folder = Path(tempfile.mkdtemp(prefix="agentdesk-"))
    path = save(data, folder / safe_name(attachment.filename))
    subprocess.Popen(  # no shell: the path is one argument, whatever its characters
        [*shlex.split(opener), str(path)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    return path
