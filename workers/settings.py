"""Worker settings: one object, units in the names, from flags, then `CLAIMEDIT_*` env vars, then defaults.

Each setting `name` has the flag `--name-with-dashes` and the env var `CLAIMEDIT_NAME`;
the Redis URL also honours plain `REDIS_URL` (after `CLAIMEDIT_REDIS_URL`).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import socket
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from contracts import DEFAULT_MAX_EVENT_BYTES
from workers.history.patient_keys import HistoryKeyError, read_secret
from workers.partitions import DEFAULT_PREFIX, MAX_PARTITIONS, PartitionStreams, all_partitions, same_slot


class SettingsError(ValueError):
    """A setting with a value that cannot be used; the message names the flag and the env var."""


def default_consumer() -> str:
    """Unique per process: two workers on one host must never share a consumer name."""
    return f"{socket.gethostname()}-{os.getpid()}"


@dataclasses.dataclass(frozen=True, kw_only=True)
class Settings:
    redis_url: str = "redis://localhost:6379"
    stream: str = "claims.submitted"
    group: str = "claim-edit"
    consumer: str = dataclasses.field(default_factory=default_consumer)
    result_stream: str = "claims.edited"
    deadletter_stream: str = "claims.deadletter"
    batch_size: int = 500
    block_ms: int = 1000
    claim_idle_ms: int = 30_000
    max_deliveries: int = 5
    result_maxlen: int = 1_000_000
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES
    http_port: int = 9464
    http_host: str = "0.0.0.0"  # noqa: S104 - the metrics port must be reachable by Prometheus in a container
    shutdown_grace_s: float = 10.0
    stats_interval_s: float = 5.0
    dedup_window_s: float = 600.0  # docs/reliability.md: one result per event_id within this window; 0 turns it off
    # Partitioned mode for Redis Cluster (docs/scale-out.md); 0 partitions is the single-stream mode.
    partitions: int = 0
    partition_prefix: str = DEFAULT_PREFIX
    partition_ids: tuple[int, ...] = ()
    redis_cluster: bool = False
    # Claim history (docs/history.md): off by default, because it needs a secret (the key of the patient
    # hashes, docs/security.md) and Redis memory sized for it (docs/history.md, "Sizing").
    history: bool = False
    history_days: int = 365
    history_key_file: str | None = None
    history_key: str | None = dataclasses.field(default=None, repr=False)  # env CLAIMEDIT_HISTORY_KEY only, like the password
    reference: tuple[Path, ...] = ()
    policy: Path | None = None
    # TLS (used with a rediss:// URL) and credentials; see docs/security.md. The password is never a flag
    # (it would show in `ps`) and never in repr, so a logged Settings cannot leak it.
    redis_ca_file: str | None = None
    redis_cert_file: str | None = None
    redis_key_file: str | None = None
    redis_username: str | None = None
    redis_password_file: str | None = None
    redis_password: str | None = dataclasses.field(default=None, repr=False)

    def __post_init__(self) -> None:
        for name in ("batch_size", "block_ms", "claim_idle_ms", "max_deliveries", "result_maxlen", "max_event_bytes"):
            if getattr(self, name) < 1:
                raise SettingsError(f"{_describe(name)} must be at least 1, got {getattr(self, name)}")
        if not 0 <= self.http_port <= 65535:
            raise SettingsError(f"{_describe('http_port')} must be 0-65535 (0 picks a free port), got {self.http_port}")
        if self.shutdown_grace_s <= 0 or self.stats_interval_s <= 0:
            raise SettingsError(f"{_describe('shutdown_grace_s')} and {_describe('stats_interval_s')} must be positive")
        if not 0 <= self.dedup_window_s < float("inf"):
            raise SettingsError(f"{_describe('dedup_window_s')} must be 0 (off) or a positive number of seconds, got {self.dedup_window_s}")
        for name in ("stream", "group", "consumer", "result_stream", "deadletter_stream"):
            if not getattr(self, name):
                raise SettingsError(f"{_describe(name)} must not be empty")
        self._check_partitions()
        self._check_redis_security()
        if self.history_days < 1:
            raise SettingsError(f"{_describe('history_days')} must be at least 1, got {self.history_days}")
        if self.history:
            self.history_secret()  # refuse to start without a usable key, naming the variable

    def history_secret(self) -> bytes:
        """The key of the patient hashes; SettingsError naming CLAIMEDIT_HISTORY_KEY / --history-key-file when missing or short."""
        try:
            return read_secret(key_file=self.history_key_file, key_text=self.history_key)
        except HistoryKeyError as error:
            raise SettingsError(str(error)) from None

    def _check_redis_security(self) -> None:
        tls_files = ("redis_ca_file", "redis_cert_file", "redis_key_file")
        for name in (*tls_files, "redis_password_file"):
            path = getattr(self, name)
            if path is not None and not Path(path).is_file():
                raise SettingsError(f"{_describe(name)}: no such file {path!r}")
        if any(getattr(self, name) for name in tls_files) and not self.redis_url.startswith("rediss://"):
            # Certificates given with a plain redis:// URL would silently send everything in clear text.
            raise SettingsError(f"TLS files are set but {_describe('redis_url')} is not a rediss:// URL")
        if (self.redis_cert_file is None) != (self.redis_key_file is None):
            raise SettingsError(f"{_describe('redis_cert_file')} and {_describe('redis_key_file')} go together (mutual TLS)")
        if self.redis_password is not None and self.redis_password_file is not None:
            raise SettingsError(f"give the password once: {env_name('redis_password')} or {_describe('redis_password_file')}")
        # redis-py lets the URL's user info win over keyword options: two sources would silently use the URL's.
        try:
            url = urlsplit(self.redis_url)
            url_user, url_password = url.username, url.password
        except ValueError:
            raise SettingsError(f"{_describe('redis_url')} is not a valid URL") from None
        if url_password and (self.redis_password is not None or self.redis_password_file is not None):
            raise SettingsError(f"the password is in {_describe('redis_url')} and set separately: give it once")
        if url_user and self.redis_username:
            raise SettingsError(f"the user is in {_describe('redis_url')} and in {_describe('redis_username')}: give it once")

    def _check_partitions(self) -> None:
        if not 0 <= self.partitions <= MAX_PARTITIONS:
            raise SettingsError(f"{_describe('partitions')} must be 0 (one stream) to {MAX_PARTITIONS}, got {self.partitions}")
        if not self.partition_prefix or set("{}") & set(self.partition_prefix):
            raise SettingsError(f"{_describe('partition_prefix')} must be non-empty and hold no braces, got {self.partition_prefix!r}")
        outside = [i for i in self.partition_ids if not 0 <= i < self.partitions]
        if outside:
            raise SettingsError(f"{_describe('partition_ids')} {outside} are outside 0..{self.partitions - 1} "
                                f"({_describe('partitions')} is {self.partitions})")
        if self.redis_cluster and not self.partitions and not same_slot(self.stream, self.result_stream, self.deadletter_stream):
            # The commit script touches all three streams: in a cluster they must hash to one slot.
            raise SettingsError(f"with {_describe('redis_cluster')} the input, result and dead-letter streams must share a hash tag "
                                f"(e.g. {{claims}}.submitted, {{claims}}.edited, {{claims}}.deadletter); "
                                f"or use {_describe('partitions')}")

    def pipelines(self) -> list[PartitionStreams]:
        """The streams this worker consumes: the partitions (all, or `partition_ids`), or the one input stream."""
        if self.partitions:
            return all_partitions(self.partitions, self.partition_prefix, self.partition_ids)
        return [PartitionStreams(None, self.stream, self.result_stream, self.deadletter_stream)]

    def streams_are_distinct(self) -> bool:
        return len({self.stream, self.result_stream, self.deadletter_stream}) == 3


def _describe(name: str) -> str:
    return f"--{name.replace('_', '-')} (env {env_name(name)})"


def env_name(name: str) -> str:
    return f"CLAIMEDIT_{name.upper()}"


_HELP: dict[str, str] = {
    "redis_url": "Redis URL (env CLAIMEDIT_REDIS_URL or REDIS_URL)",
    "stream": "input stream of claim.submitted events",
    "group": "consumer group (created at the start of the stream if missing)",
    "consumer": "consumer name, unique per process",
    "result_stream": "output stream of claim.edited results (field `result`)",
    "deadletter_stream": "dead-letter stream (field `dead_letter`)",
    "batch_size": "entries read per XREADGROUP (COUNT)",
    "block_ms": "XREADGROUP BLOCK, milliseconds",
    "claim_idle_ms": "reclaim entries pending longer than this, milliseconds",
    "max_deliveries": "dead-letter an entry delivered more than this many times",
    "result_maxlen": "approximate MAXLEN of the result and dead-letter streams",
    "max_event_bytes": "largest accepted event payload, bytes",
    "http_port": "port for /metrics, /healthz, /readyz (0 picks a free one)",
    "http_host": "address the HTTP port binds",
    "shutdown_grace_s": "seconds allowed to finish the batch in hand after SIGTERM",
    "stats_interval_s": "seconds between samples of consumer lag and pending entries",
    "dedup_window_s": "a second result for an event_id answered within this many seconds becomes a duplicate-event dead letter (0: off)",
    "partitions": "partitioned streams <prefix>:{p<i>[.k]}:submitted|edited|deadletter, i in 0..N-1 (0: the single --stream)",
    "partition_prefix": "prefix of the partitioned stream names",
    "partition_ids": "consume only these partitions, comma-separated (e.g. 0,2) [default all]",
    "redis_cluster": "the Redis URL is a Redis Cluster node (env CLAIMEDIT_REDIS_CLUSTER=1)",
    "history": "keep each patient's history in Redis and edit claims across a patient's claims (docs/history.md) "
               "[env CLAIMEDIT_HISTORY=1; needs CLAIMEDIT_HISTORY_KEY or --history-key-file]",
    "history_days": "history keeps lines up to this many days before the newest date of service of the patient",
    "history_key_file": "file holding the secret key of the patient hashes in Redis key names (or env CLAIMEDIT_HISTORY_KEY)",
    "redis_ca_file": "CA certificate(s), PEM, that must have signed the server's certificate (rediss:// URLs)",
    "redis_cert_file": "client certificate, PEM, for mutual TLS (with --redis-key-file)",
    "redis_key_file": "client private key, PEM, for mutual TLS",
    "redis_username": "Redis ACL user (instead of a user in the URL)",
    "redis_password_file": "file holding the Redis password, e.g. a mounted secret (or env CLAIMEDIT_REDIS_PASSWORD)",
}

_FIELDS = {field.name: field for field in dataclasses.fields(Settings)}
_SCALARS = tuple(name for name in _HELP)


def _parser_for(field: dataclasses.Field[Any]) -> Callable[[str], Any]:
    kind = field.type
    if kind in ("bool", bool):
        return _parse_bool
    if kind in ("tuple[int, ...]", tuple):
        return _parse_ids
    if kind in ("int", int):
        return int
    if kind in ("float", float):
        return float
    return str


def _parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"not a boolean: {text!r}")


def _parse_ids(text: str) -> tuple[int, ...]:
    """`0,2,5` -> (0, 2, 5); raises ValueError for anything else."""
    return tuple(int(part) for part in text.split(",") if part.strip())


def add_settings_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags for every scalar setting; their argparse default is None so env and defaults can apply."""
    group = parser.add_argument_group("worker settings (flag > env CLAIMEDIT_* > default)")
    for name in _SCALARS:
        field = _FIELDS[name]
        default = "<hostname>-<pid>" if name == "consumer" else field.default
        if name == "history":  # --history / --no-history: absent leaves the env var or the default (off)
            group.add_argument("--history", dest=name, action=argparse.BooleanOptionalAction, default=None, help=_HELP[name])
            continue
        if field.type in ("bool", bool):  # a switch: present means true; absent leaves the env var or the default
            group.add_argument(f"--{name.replace('_', '-')}", dest=name, action="store_true", default=None, help=_HELP[name])
            continue
        if name == "partition_ids":
            default = "all"
        group.add_argument(
            f"--{name.replace('_', '-')}",
            dest=name,
            type=_parser_for(field),
            default=None,
            metavar=name.split("_")[-1].upper(),
            help=f"{_HELP[name]} [default {default}]",
        )


REDIS_SECURITY = ("redis_ca_file", "redis_cert_file", "redis_key_file", "redis_username", "redis_password_file")


def add_redis_security_arguments(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """The TLS and credential flags, for commands that connect to Redis but take no other worker setting."""
    for name in REDIS_SECURITY:
        parser.add_argument(f"--{name.replace('_', '-')}", dest=name, default=None, metavar=name.split("_")[-1].upper(),
                            help=f"{_HELP[name]} [env {env_name(name)}]")


def _from_env(name: str, env: Mapping[str, str]) -> str | None:
    value = env.get(env_name(name))
    if value is None and name == "redis_url":
        value = env.get("REDIS_URL")
    return value or None


def settings_from(args: argparse.Namespace | None = None, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Resolve every setting: keyword override, then flag, then env var, then the default."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    for name in _SCALARS:
        given = getattr(args, name, None) if args is not None else None
        if given is not None:
            values[name] = given
            continue
        text = _from_env(name, env)
        if text is not None:
            try:
                values[name] = _parser_for(_FIELDS[name])(text)
            except ValueError:
                raise SettingsError(f"{env_name(name)}={text!r} is not a valid {_FIELDS[name].type}") from None
    password = env.get(env_name("redis_password"))  # env only: a flag would show in `ps`
    if password:
        values["redis_password"] = password
    history_key = env.get(env_name("history_key"))  # env only, for the same reason
    if history_key:
        values["history_key"] = history_key
    if args is not None:
        reference = getattr(args, "reference", None)
        if reference:
            values["reference"] = tuple(Path(p) for p in reference)
        policy = getattr(args, "policy", None)
        if policy is not None:
            values["policy"] = Path(policy)
    values.update(overrides)
    return Settings(**values)
