"""The key that signs session cookies.

The configured key (``SAFESHARE_SECRET_KEY``, read and checked with the other settings in
``safeshare/core/config.py``) wins; otherwise a random key is generated at first start into ``var/secret_key``
(git-ignored, readable by the owner only) and reused, so sessions survive a restart and the key is never
committed.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path


def secret_key(configured: str | None, var_dir: Path | None = None) -> str:
    if configured:
        return configured
    path = (var_dir or Path.cwd() / "var") / "secret_key"
    if path.is_file():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker process wrote it first: use theirs
        time.sleep(0.05)
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
