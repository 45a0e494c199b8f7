"""Settings resolve flag > env > default, and a bad value names its flag and env var."""

from __future__ import annotations

import argparse
import os
import socket

import pytest

from workers.settings import SettingsError, add_settings_arguments, settings_from


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_settings_arguments(parser)
    return parser.parse_args(list(argv))


def test_defaults() -> None:
    settings = settings_from(_args(), env={})
    assert settings.redis_url == "redis://localhost:6379"
    assert (settings.stream, settings.group) == ("claims.submitted", "claim-edit")
    assert (settings.result_stream, settings.deadletter_stream) == ("claims.edited", "claims.deadletter")
    assert settings.consumer == f"{socket.gethostname()}-{os.getpid()}"
    assert settings.http_port == 9464
    assert settings.dedup_window_s == 600


def test_the_dedup_window_from_flag_and_env_and_off() -> None:
    assert settings_from(_args(), env={"CLAIMEDIT_DEDUP_WINDOW_S": "30"}).dedup_window_s == 30
    assert settings_from(_args("--dedup-window-s", "0"), env={"CLAIMEDIT_DEDUP_WINDOW_S": "30"}).dedup_window_s == 0


def test_flag_beats_env_beats_default() -> None:
    env = {"CLAIMEDIT_BATCH_SIZE": "64", "CLAIMEDIT_CLAIM_IDLE_MS": "5000", "REDIS_URL": "redis://plain:6379",
           "CLAIMEDIT_SHUTDOWN_GRACE_S": "2.5"}
    settings = settings_from(_args("--batch-size", "32"), env=env)
    assert settings.batch_size == 32
    assert settings.claim_idle_ms == 5000
    assert settings.shutdown_grace_s == 2.5
    assert settings.redis_url == "redis://plain:6379"
    both = {**env, "CLAIMEDIT_REDIS_URL": "redis://ours:6379"}
    assert settings_from(_args(), env=both).redis_url == "redis://ours:6379"
    assert settings_from(_args("--redis-url", "redis://flag:1"), env=both).redis_url == "redis://flag:1"


@pytest.mark.parametrize(
    ("argv", "env", "names"),
    [
        ((), {"CLAIMEDIT_BATCH_SIZE": "many"}, "CLAIMEDIT_BATCH_SIZE"),
        (("--batch-size", "0"), {}, "--batch-size (env CLAIMEDIT_BATCH_SIZE)"),
        (("--http-port", "70000"), {}, "--http-port"),
        (("--group", ""), {}, "--group"),
        (("--dedup-window-s", "-1"), {}, "--dedup-window-s (env CLAIMEDIT_DEDUP_WINDOW_S)"),
        ((), {"CLAIMEDIT_DEDUP_WINDOW_S": "nan"}, "--dedup-window-s"),
    ],
)
def test_bad_values_name_the_setting(argv: tuple[str, ...], env: dict[str, str], names: str) -> None:
    with pytest.raises(SettingsError, match=names.replace("(", r"\(").replace(")", r"\)")):
        settings_from(_args(*argv), env=env)
