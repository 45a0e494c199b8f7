"""The one place Redis clients and the FastStream broker are built, so TLS and credentials apply to every command.

- TLS: with a `rediss://` URL the server's certificate is verified (against `redis_ca_file`, else the system CAs,
  hostname checked) and `redis_cert_file`/`redis_key_file` are presented for mutual TLS. redis-py gets them as its
  `ssl_*` options, FastStream as an `ssl.SSLContext` built from the same files with the same rules.
- Credentials: the user and password from the URL, or `redis_username` and the password from the environment
  (`CLAIMEDIT_REDIS_PASSWORD`) or a file (`redis_password_file`, read at each build so a rotated secret is picked up).
- `redacted_url` is what may be logged or printed of a URL: never its password.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis
import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster

from workers.settings import REDIS_SECURITY, Settings, SettingsError, env_name

if TYPE_CHECKING:
    from faststream.redis import RedisBroker

REDACTED = "***"
_SECRET_QUERY_KEYS = frozenset({"password", "ssl_password"})


def redacted_url(url: str) -> str:
    """`url` with its password (in the user info or a `password=` query argument) replaced by `***`."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, host = netloc.rsplit("@", 1)
            user, has_password, _ = userinfo.partition(":")
            netloc = f"{user}:{REDACTED}@{host}" if has_password else f"{user}@{host}"
        query = parts.query
        if query:
            pairs = parse_qsl(query, keep_blank_values=True)
            query = urlencode([(key, REDACTED if key.lower() in _SECRET_QUERY_KEYS else value) for key, value in pairs], safe="*")
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:
        return "<unparseable Redis URL>"


def uses_tls(settings: Settings) -> bool:
    return settings.redis_url.startswith("rediss://")


def tls_options(settings: Settings) -> dict[str, Any]:
    """redis-py's `ssl_*` keyword options for a `rediss://` URL (empty for `redis://`)."""
    if not uses_tls(settings):
        return {}
    options: dict[str, Any] = {"ssl_cert_reqs": "required", "ssl_check_hostname": True, "ssl_min_version": ssl.TLSVersion.TLSv1_2}
    if settings.redis_ca_file:
        options["ssl_ca_certs"] = settings.redis_ca_file
    if settings.redis_cert_file:
        options["ssl_certfile"] = settings.redis_cert_file
        options["ssl_keyfile"] = settings.redis_key_file
    return options


def tls_context(settings: Settings) -> ssl.SSLContext | None:
    """The same verification as `tls_options`, as an `ssl.SSLContext` (for FastStream); None for `redis://`."""
    if not uses_tls(settings):
        return None
    try:
        context = ssl.create_default_context(cafile=settings.redis_ca_file)  # verifies the chain and the hostname
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if settings.redis_cert_file:
            context.load_cert_chain(settings.redis_cert_file, settings.redis_key_file)
    except (ssl.SSLError, OSError) as error:
        raise SettingsError(f"cannot load the TLS files (--redis-ca-file, --redis-cert-file, --redis-key-file): {error}") from None
    return context


def credentials(settings: Settings) -> dict[str, Any]:
    """`username`/`password` keyword options from the settings (the URL's own user info is left to the URL)."""
    found: dict[str, Any] = {}
    if settings.redis_username:
        found["username"] = settings.redis_username
    password = settings.redis_password
    if settings.redis_password_file:
        try:
            password = Path(settings.redis_password_file).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as error:
            raise SettingsError(f"cannot read --redis-password-file: {error.strerror}") from None
    if password is not None:
        found["password"] = password
    return found


_TLS_SYMPTOMS = ("SSL", "CERTIFICATE", "reset by peer", "EOF", "closed by server")


def explain(settings: Settings, error: BaseException) -> str:
    """A connection error as it may be logged; over TLS, a handshake failure says which settings to check.

    A server that demands a client certificate just resets a client that has none ("Connection reset by peer").
    """
    text = str(error)[:300]
    if uses_tls(settings) and any(symptom in text for symptom in _TLS_SYMPTOMS):
        text += (" [TLS handshake with Redis failed? check that --redis-ca-file holds the CA that signed the server's certificate, "
                 "and give --redis-cert-file/--redis-key-file if the server demands client certificates]")
    return text


def security_from_env(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The TLS and credential settings from their `CLAIMEDIT_*` env vars, as keyword arguments for `Settings`."""
    env = os.environ if env is None else env
    found: dict[str, Any] = {name: env[env_name(name)] for name in (*REDIS_SECURITY, "redis_password") if env.get(env_name(name))}
    return found


def async_client(settings: Settings, **options: Any) -> aioredis.Redis:
    """An asyncio client (bytes replies); `options` go to redis-py (timeouts, keepalive...).

    With `redis_cluster`, a `RedisCluster` seeded from the URL's node: it routes each single-key command (and each
    script, by its keys) to the master of the key's slot. It is typed as `Redis` because it has the same stream
    commands and `register_script` that the commit, reclaim and stats code call (all single-slot by design).
    """
    if settings.redis_cluster:
        return cast("aioredis.Redis", AsyncRedisCluster.from_url(settings.redis_url, **tls_options(settings), **credentials(settings),
                                                                 **options))
    return aioredis.Redis.from_url(settings.redis_url, **tls_options(settings), **credentials(settings), **options)


def sync_client(settings: Settings, **options: Any) -> redis.Redis:
    """A synchronous client (bytes replies); `options` go to redis-py. A `RedisCluster` with `redis_cluster` (see above)."""
    if settings.redis_cluster:
        return cast("redis.Redis", redis.RedisCluster.from_url(settings.redis_url, **tls_options(settings), **credentials(settings),
                                                               **options))
    return redis.Redis.from_url(settings.redis_url, **tls_options(settings), **credentials(settings), **options)


def broker(settings: Settings, **broker_kwargs: Any) -> RedisBroker:
    """A FastStream RedisBroker on the settings' URL with the same TLS and credentials as the clients.

    With `redis_cluster`, FastStream's RedisClusterBroker: it ignores an `ssl.SSLContext`, so TLS goes as the
    same `ssl_*` options the redis-py clients get.
    """
    # Imported here: FastStream costs about 0.4 s of start-up, and only the worker and the demo build a broker
    # (`claim-edit submit`, `results` and `replay` use this module's redis-py clients).
    from faststream.redis import RedisBroker, RedisClusterBroker
    from faststream.security import BaseSecurity

    # redis-py's default socket timeout is 5 s (RedisCluster's, and redis.Redis's since redis-py 8): a blocking XREADGROUP
    # of --block-ms must fit inside it, or a longer block ends in a TimeoutError and a dropped reply.
    broker_kwargs.setdefault("socket_timeout", settings.block_ms / 1000 + 5)
    if settings.redis_cluster:
        tls = {"ssl": True, **tls_options(settings)} if uses_tls(settings) else {}
        return RedisClusterBroker(settings.redis_url, **credentials(settings), **tls, **broker_kwargs)
    context = tls_context(settings)
    options: dict[str, Any] = {**credentials(settings), **broker_kwargs}
    if context is not None:
        options["security"] = BaseSecurity(ssl_context=context)
    return RedisBroker(settings.redis_url, **options)


XREADGROUP = "XREADGROUP"
_LIST_SHAPED_XREAD = frozenset({"parse_xread", "parse_xread_resp3_to_resp2_legacy"})
"""redis-py's XREADGROUP callbacks whose shape the fast parser gives: RESP2's, and RESP3's default (legacy) one."""


def _xread_parser(original: Callable[..., Any]) -> Callable[..., Any]:
    """An XREADGROUP reply callback giving what redis-py's own gives, `[[stream, [(id, {field: value}), ...]], ...]`, faster.

    redis-py builds each entry's field dict with a function call and `dict(zip(...))`: about 0.6 us per entry, a few %
    of the worker's CPU per claim. Our entries have one field (`event`), so the common entry's dict is built from its
    two items inline (0.1 us). Anything unusual (a deleted entry, no entries, `claim_min_idle_time` metadata) goes to
    redis-py's own callback, so the result is the same in every case.
    """

    def parse(response: Any, **options: Any) -> Any:
        if options or not response:
            return original(response, **options)
        by_stream = response.items() if isinstance(response, dict) else response
        parsed = []
        for stream, entries in by_stream:
            try:
                rows = [(e[0], {f[0]: f[1]}) if len(f := e[1]) == 2 else (e[0], dict(zip(i := iter(f), i, strict=True)))
                        for e in entries]
            except (TypeError, ValueError):  # None for an entry or its fields, an odd field list: redis-py's rules apply
                one = {stream: entries} if isinstance(response, dict) else [[stream, entries]]
                rows = original(one)[0][1]
            parsed.append([stream, rows])
        return parsed

    return parse


def fast_stream_reads(client: Any) -> None:
    """Give a plain redis-py asyncio client (FastStream's, which reads the input stream) the faster XREADGROUP parser.

    Only where redis-py's own callback gives the list shape (RESP2, and RESP3 with its default legacy replies);
    a client giving RESP3's dict shape, and a Redis Cluster client, are left as they are.
    """
    if not isinstance(client, aioredis.Redis):
        return
    original = client.response_callbacks.get(XREADGROUP)
    if getattr(original, "__name__", "") not in _LIST_SHAPED_XREAD:  # RESP3's dict shape, or ours already
        return
    assert original is not None
    client.set_response_callback(XREADGROUP, _xread_parser(original))
