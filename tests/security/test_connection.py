"""workers/connection.py: URL redaction, TLS options, credentials, and the settings that feed them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from workers import connection
from workers.settings import Settings, SettingsError, settings_from


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("redis://localhost:6379/0", "redis://localhost:6379/0"),
        ("redis://:s3cret@localhost:6379", "redis://:***@localhost:6379"),
        ("rediss://claimedit:s3cret@redis.example:6380/1", "rediss://claimedit:***@redis.example:6380/1"),
        ("redis://claimedit@localhost", "redis://claimedit@localhost"),
        ("redis://localhost?password=s3cret&db=2", "redis://localhost?password=***&db=2"),
        ("redis://:p%40ss:w@rd@host:1", "redis://:***@host:1"),
    ],
)
def test_redacted_url_hides_the_password_only(url: str, expected: str) -> None:
    assert connection.redacted_url(url) == expected


def test_redacted_url_of_garbage_says_so_without_echoing_it() -> None:
    assert connection.redacted_url("redis://[s3cret") == "<unparseable Redis URL>"


def test_plain_urls_get_no_tls(tmp_path: Path) -> None:
    settings = Settings(redis_url="redis://localhost")
    assert connection.tls_options(settings) == {}
    assert connection.tls_context(settings) is None


def test_tls_files_with_a_plain_url_are_refused(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    with pytest.raises(SettingsError, match="not a rediss:// URL"):
        Settings(redis_url="redis://localhost", redis_ca_file=str(ca))


def test_missing_tls_file_names_the_flag(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="--redis-ca-file"):
        Settings(redis_url="rediss://localhost", redis_ca_file=str(tmp_path / "absent.pem"))


def test_client_cert_needs_its_key(tmp_path: Path) -> None:
    cert = tmp_path / "client.pem"
    cert.write_text("x")
    with pytest.raises(SettingsError, match="go together"):
        Settings(redis_url="rediss://localhost", redis_cert_file=str(cert))


def test_password_from_env_is_not_in_repr_and_not_a_flag() -> None:
    settings = settings_from(env={"CLAIMEDIT_REDIS_PASSWORD": "s3cret-env", "CLAIMEDIT_REDIS_USERNAME": "worker"})
    assert "s3cret-env" not in repr(settings)
    assert connection.credentials(settings) == {"username": "worker", "password": "s3cret-env"}


def test_password_file_is_read_without_its_newline(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text("s3cret-file\n")
    settings = settings_from(env={"CLAIMEDIT_REDIS_PASSWORD_FILE": str(secret)})
    assert connection.credentials(settings) == {"password": "s3cret-file"}


def test_two_password_sources_are_refused(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text("a")
    with pytest.raises(SettingsError, match="once"):
        settings_from(env={"CLAIMEDIT_REDIS_PASSWORD": "b", "CLAIMEDIT_REDIS_PASSWORD_FILE": str(secret)})
    with pytest.raises(SettingsError, match="once"):
        settings_from(env={"CLAIMEDIT_REDIS_URL": "redis://:a@localhost", "CLAIMEDIT_REDIS_PASSWORD": "b"})


@pytest.mark.redis
@pytest.mark.parametrize("block_ms", [1000, 10_000])
def test_the_brokers_reads_wait_longer_than_their_block(redis_url: str, block_ms: int) -> None:
    # redis-py 8 gives a plain Redis client a 5 s socket timeout: a --block-ms over it ended each idle XREADGROUP in a
    # TimeoutError, and a reply that arrived while the worker was stalled past it was dropped (tests/faults/test_slow_consumer).
    async def socket_timeout() -> object:
        broker = connection.broker(Settings(redis_url=redis_url, block_ms=block_ms))
        client = await broker.connect()
        try:
            return client.connection_pool.connection_kwargs.get("socket_timeout")
        finally:
            await broker.stop()

    assert asyncio.run(socket_timeout()) == block_ms / 1000 + 5
