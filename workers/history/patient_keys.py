"""Where a patient's history lives in Redis: one value per patient, named by a keyed hash of `patient_id`.

The key name is `<input stream>:h2:<HMAC-SHA256(secret, patient_id), first 128 bits, hex>`. The input
stream's name comes first, so in partitioned mode the key carries the partition's hash tag
(`claims:{p3}:submitted:h2:...`) and sits in the slot of the streams the commit script already touches.
Without the secret the name says nothing about the patient: a plain hash of a member id could be
reversed by hashing every plausible member id, a keyed one cannot. 128 bits: a collision (two patients
sharing one history) is as likely as guessing a random 128-bit number.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

HISTORY_KEY_MIN_BYTES = 16
HISTORY_INFIX = ":h2:"
"""`:h2:`, the layout of one value per patient (redis_store.py); `:h:` named the earlier layout's hashes, which a
worker never reads again: they expire by their TTL (docs/history.md, "Upgrading from the hash layout")."""
DIGEST_HEX_CHARS = 32
KEY_CACHE_SIZE = 2_048
_SHA256_BLOCK_BYTES = 64
_INNER_PAD = bytes(x ^ 0x36 for x in range(256))  # RFC 2104's ipad and opad, as translate() tables
_OUTER_PAD = bytes(x ^ 0x5C for x in range(256))
"""Patients whose key a worker keeps (about 0.5 MiB): a patient's further claims mostly arrive within a few
hundred claims of the first (a visit's several claims, a replacement), and each hit saves the HMAC (2-5 us).
Small on purpose: 16,384 was measured no better (the bench's hit rate is about 15%) and a large dict
competes with the reference tables for the CPU's cache."""


class HistoryKeyError(ValueError):
    """The history secret is missing or unusable; the message names the flag and the env var."""


def read_secret(*, key_file: str | None, key_text: str | None) -> bytes:
    """The secret from `--history-key-file` (a mounted secret) or `CLAIMEDIT_HISTORY_KEY`; exactly one of them."""
    if key_file is not None and key_text is not None:
        raise HistoryKeyError("give the history key once: CLAIMEDIT_HISTORY_KEY or --history-key-file (env CLAIMEDIT_HISTORY_KEY_FILE)")
    if key_file is not None:
        try:
            secret = Path(key_file).read_bytes().strip()
        except OSError as error:
            raise HistoryKeyError(f"--history-key-file {key_file!r}: {error.strerror or error}") from None
        where = f"--history-key-file {key_file!r}"
    elif key_text is not None:
        secret = key_text.strip().encode("utf-8")
        where = "CLAIMEDIT_HISTORY_KEY"
    else:
        raise HistoryKeyError(
            "history is on (--history / CLAIMEDIT_HISTORY) but no key names the patients' history in Redis: set "
            "CLAIMEDIT_HISTORY_KEY or --history-key-file (env CLAIMEDIT_HISTORY_KEY_FILE) to a secret of at least "
            f"{HISTORY_KEY_MIN_BYTES} bytes (e.g. `openssl rand -hex 32`), the same for every worker; or run with --no-history"
        )
    if len(secret) < HISTORY_KEY_MIN_BYTES:
        raise HistoryKeyError(f"{where}: the history key must be at least {HISTORY_KEY_MIN_BYTES} bytes, got {len(secret)}")
    return secret


class PatientKeys:
    """Names the history value of a patient of one input stream."""

    __slots__ = ("_cache", "_cache_size", "_inner", "_outer", "_prefix")

    def __init__(self, secret: bytes, stream: str, *, cache_size: int = KEY_CACHE_SIZE) -> None:
        # HMAC-SHA256 (RFC 2104) kept as its two keyed SHA-256 states, as the hmac module builds them: copying
        # these C objects per patient costs half of `hmac.HMAC.copy()` with its Python wrapper (tests compare
        # every key with hmac.new's).
        block = _SHA256_BLOCK_BYTES
        key = (hashlib.sha256(secret).digest() if len(secret) > block else secret).ljust(block, b"\0")
        self._inner = hashlib.sha256(key.translate(_INNER_PAD))
        self._outer = hashlib.sha256(key.translate(_OUTER_PAD))
        self._prefix = stream + HISTORY_INFIX
        self._cache: dict[str, str] = {}
        self._cache_size = cache_size

    def key(self, patient_id: str) -> str:
        cache = self._cache
        found = cache.get(patient_id)
        if found is not None:
            return found
        inner = self._inner.copy()  # copying the keyed states skips re-hashing the secret's pads per patient
        inner.update(patient_id.encode("utf-8"))
        outer = self._outer.copy()
        outer.update(inner.digest())
        key = self._prefix + outer.hexdigest()[:DIGEST_HEX_CHARS]
        if len(cache) >= self._cache_size:
            cache.clear()  # bounded: start afresh rather than track recency (a miss costs one HMAC)
        cache[patient_id] = key
        return key

    @property
    def key_length(self) -> int:
        """Every key of this stream has this many characters (the read script cuts them out of one string)."""
        return len(self._prefix) + DIGEST_HEX_CHARS

    @property
    def pattern(self) -> str:
        """A SCAN MATCH pattern for every patient key of this stream (operations, tests)."""
        return self._prefix + "*"  # braces are not special in Redis glob patterns
