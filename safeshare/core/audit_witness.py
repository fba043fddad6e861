"""A signed witness of the audit chain's head, kept outside the database.

The chain (``safeshare.core.audit``) proves that no event in the middle was edited, removed or
reordered, and its one-row head proves the tail is whole, but someone who can write to the
database can delete the last events and rewrite the head to match: the chain then verifies.
The witness closes that gap. After every transaction that appended events, the new head
(sequence number and hash) is appended as one line to a file the database does not hold,
signed with HMAC-SHA256 under a key from the environment (never in the database, never in
the repository)::

    <seq> <hash> <written at, ISO> <key id> <signature>

``safeshare audit verify`` reads the file: every line must carry a good signature under the
current key or an older one still listed, and every witnessed head becomes an anchor, so a
chain cut at its tail fails naming the missing events, and a chain rewritten wholesale
fails at the first witnessed event whose hash changed.

Lines are written after the database commits, so the witness never claims more than the
database holds (a crash between the two loses at most the latest line, which weakens the
witness for a moment and never raises a false alarm). Writes use ``O_APPEND``, one
``write`` per line, so processes writing at once do not interleave within a line.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import weakref
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event as orm_events
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from safeshare.core.errors import ConfigurationError

#: Set by ``safeshare.core.audit.write_pending`` on the session: the head its events moved the chain to.
NEW_HEAD = "audit_new_head"
log = logging.getLogger("safeshare.core.audit")
_BY_ENGINE: weakref.WeakKeyDictionary[Engine, Witness] = weakref.WeakKeyDictionary()


def key_id(key: bytes) -> str:
    """A short name for a key (not the key): which one signed a line, so keys can be rotated."""
    return hashlib.sha256(b"safeshare-audit-witness:" + key).hexdigest()[:12]


@dataclass(frozen=True)
class WitnessLine:
    number: int
    seq: int
    hash: str


@dataclass(frozen=True)
class WitnessReading:
    """What the witness file says: the heads it saw, and any line that is not genuine."""

    heads: list[WitnessLine] = field(default_factory=list)
    bad_lines: list[tuple[int, str]] = field(default_factory=list)

    @property
    def anchors(self) -> dict[int, str]:
        return {line.seq: line.hash for line in self.heads}

    @property
    def latest(self) -> WitnessLine | None:
        return max(self.heads, key=lambda line: line.seq, default=None)


@dataclass(frozen=True)
class Witness:
    """Where the witness is written and the keys that sign (the first) and verify it."""

    path: Path
    keys: tuple[bytes, ...] = field(repr=False)

    def __post_init__(self) -> None:
        if not self.keys or any(len(k) < 16 for k in self.keys):
            raise ConfigurationError(
                "The audit witness key must be at least 16 characters long",
                "Set SAFESHARE_AUDIT_WITNESS_KEY to a long random value, e.g. from 'openssl rand -hex 32'",
            )

    def _signature(self, key: bytes, seq: int, digest: str, at: str) -> str:
        return hmac.new(key, f"{seq}:{digest}:{at}".encode(), hashlib.sha256).hexdigest()

    def line(self, seq: int, digest: str, at: datetime) -> str:
        stamp = at.isoformat()
        key = self.keys[0]
        return f"{seq} {digest} {stamp} {key_id(key)} {self._signature(key, seq, digest, stamp)}\n"

    def append(self, seq: int, digest: str, at: datetime) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, self.line(seq, digest, at).encode())
        finally:
            os.close(fd)

    def read(self) -> WitnessReading:
        """Every line of the file, checked against the keys (a missing file reads as empty)."""
        if not self.path.exists():
            return WitnessReading()
        by_id = {key_id(k): k for k in self.keys}
        reading = WitnessReading()
        for number, text in enumerate(self.path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            parts = text.split()
            if not parts:
                continue
            if len(parts) != 5 or not parts[0].isdigit() or len(parts[1]) != 64:
                reading.bad_lines.append((number, "it is not a witness line"))
                continue
            seq_text, digest, stamp, kid, signature = parts
            key = by_id.get(kid)
            if key is None:
                reading.bad_lines.append((number, f"it is signed with key {kid}, which is not configured"))
            elif not hmac.compare_digest(self._signature(key, int(seq_text), digest, stamp), signature):
                reading.bad_lines.append((number, "its signature does not match (written without the key?)"))
            else:
                reading.heads.append(WitnessLine(number, int(seq_text), digest))
        return reading


def witness_from_settings(settings: Any) -> Witness | None:
    """The witness the settings ask for, or None when no key is set (then the tail is not witnessed)."""
    key = getattr(settings, "audit_witness_key", None)
    if not key:
        return None
    old = tuple(k.encode() for k in getattr(settings, "audit_witness_old_keys", ()) if k)
    path = getattr(settings, "audit_witness_file", None) or Path.cwd() / "var" / "audit-witness.log"
    return Witness(Path(path), (key.encode(), *old))


def attach(engine: Engine, witness: Witness | None) -> None:
    """Witness every commit made through ``engine`` (None stops it). A witness file that cannot be
    written stops start-up, rather than every write failing after its commit."""
    if witness is None:
        _BY_ENGINE.pop(engine, None)
        return
    try:
        witness.path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(witness.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600))
    except OSError as exc:
        raise ConfigurationError(
            f"The audit witness file {witness.path} cannot be written: {exc.strerror}",
            "Fix SAFESHARE_AUDIT_WITNESS_FILE or the folder's permissions",
        ) from None
    _BY_ENGINE[engine] = witness


def attached(engine: Engine) -> Witness | None:
    return _BY_ENGINE.get(engine)


@orm_events.listens_for(Session, "after_commit")
def _witness_commit(session: Session) -> None:
    head = session.info.pop(NEW_HEAD, None)
    if head is None:
        return
    witness = _BY_ENGINE.get(session.bind) if isinstance(session.bind, Engine) else None
    if witness is not None:
        seq, digest, at = head
        try:
            witness.append(seq, digest, at)
        except OSError:  # the change is committed: say so loudly rather than fail the request after it
            log.exception("could not witness audit event %s in %s; 'safeshare audit verify' still checks "
                          "the chain up to the last witnessed head", seq, witness.path)


@orm_events.listens_for(Session, "after_rollback")
def _forget_head(session: Session) -> None:
    session.info.pop(NEW_HEAD, None)
