"""Partition names, the claim_id hash and the partition settings: pure, no server."""

from __future__ import annotations

import zlib
from collections import Counter

import msgspec
import pytest
from redis.crc import key_slot

from workers.cli import build_parser
from workers.partitions import PartitionStreams, all_partitions, partition_of, partition_streams, same_slot
from workers.settings import Settings, SettingsError, settings_from


def test_partition_of_is_crc32_ieee_of_the_utf8_claim_id_mod_p() -> None:
    # 0xCBF43926 is the published CRC-32/ISO-HDLC check value of "123456789": any language's CRC-32 gives it.
    assert partition_of("123456789", 1000) == 0xCBF43926 % 1000 == 262
    assert partition_of("Ünïcode-claim", 24) == zlib.crc32("Ünïcode-claim".encode()) % 24
    with pytest.raises(ValueError, match="at least 1"):
        partition_of("C-1", 0)


def test_claims_spread_evenly_over_partitions() -> None:
    counts = Counter(partition_of(f"CLM-{n:08d}", 6) for n in range(12_000))
    assert set(counts) == set(range(6))
    assert all(1_700 < count < 2_300 for count in counts.values()), counts


def test_each_partition_has_three_streams_in_one_hash_slot() -> None:
    # The tag of partition 2 of 6 is plain "p2" (its slot, 7752, is already in 5461..8191); partition 3's is p3.11.
    assert partition_streams(2, 6) == PartitionStreams(2, "claims:{p2}:submitted", "claims:{p2}:edited", "claims:{p2}:deadletter")
    assert partition_streams(3, 6).submitted == "claims:{p3.11}:submitted"
    slots = set()
    for index in range(24):
        streams = partition_streams(index, 24, "acme")
        keys = (streams.submitted, streams.edited, streams.deadletter, streams.submitted + ":seen")
        assert same_slot(*keys)
        assert len({key_slot(key.encode()) for key in keys}) == 1  # Redis's own CRC16 agrees
        slots.add(key_slot(streams.submitted.encode()))
    assert len(slots) == 24  # partitions are distinct slots, so a cluster can place them on different masters
    assert not same_slot("claims.submitted", "claims.edited", "claims.deadletter")


@pytest.mark.parametrize("partitions", [1, 2, 3, 6, 12, 24, 100])
def test_partition_i_lives_in_the_ith_equal_share_of_the_slots(partitions: int) -> None:
    # So with an even, contiguous slot split over M masters (what `redis-cli --cluster create` makes), each
    # master holds P / M partitions: no slot moves by hand.
    for p in all_partitions(partitions):
        slot = key_slot(p.submitted.encode())
        assert p.index is not None
        assert p.index * 16384 // partitions <= slot < (p.index + 1) * 16384 // partitions, (p.submitted, slot)
    for masters in (1, 2, 3, 4, 6):
        if partitions % masters == 0:
            owners = Counter(key_slot(p.submitted.encode()) * masters // 16384 for p in all_partitions(partitions))
            assert sorted(owners.values()) == [partitions // masters] * masters


def test_partition_count_is_bounded() -> None:
    with pytest.raises(SettingsError, match="0 \\(one stream\\) to 1024"):
        Settings(partitions=1025)
    with pytest.raises(ValueError, match="partitions <= 1024"):
        partition_streams(0, 1025)


def test_partition_ids_pick_a_subset_and_are_checked() -> None:
    assert [p.label for p in all_partitions(6, only=(4, 0, 4))] == ["0", "4"]
    assert [p.label for p in Settings(partitions=6, partition_ids=(2, 5)).pipelines()] == ["2", "5"]
    with pytest.raises(SettingsError, match=r"outside 0\.\.5"):
        Settings(partitions=6, partition_ids=(6,))
    with pytest.raises(SettingsError, match="outside"):
        Settings(partition_ids=(0,))  # ids without partitions
    with pytest.raises(SettingsError, match="braces"):
        Settings(partitions=2, partition_prefix="claims:{x}")


def test_single_stream_mode_is_unchanged_by_default() -> None:
    settings = Settings()
    assert settings.partitions == 0
    assert settings.redis_cluster is False
    assert settings.pipelines() == [PartitionStreams(None, "claims.submitted", "claims.edited", "claims.deadletter")]


def test_a_cluster_needs_the_single_mode_streams_in_one_slot() -> None:
    with pytest.raises(SettingsError, match="hash tag"):
        Settings(redis_cluster=True)
    tagged = Settings(redis_cluster=True, stream="claims:{p0}:submitted", result_stream="claims:{p0}:edited",
                      deadletter_stream="claims:{p0}:deadletter")
    assert len(tagged.pipelines()) == 1
    assert len(Settings(redis_cluster=True, partitions=12).pipelines()) == 12


def test_flags_and_env_vars() -> None:
    parser = build_parser()
    args = parser.parse_args(["worker", "--redis-cluster", "--partitions", "6", "--partition-ids", "0,2"])
    settings = settings_from(args, env={})
    assert (settings.redis_cluster, settings.partitions, settings.partition_ids) == (True, 6, (0, 2))

    bare = parser.parse_args(["worker"])
    from_env = settings_from(bare, env={"CLAIMEDIT_REDIS_CLUSTER": "1", "CLAIMEDIT_PARTITIONS": "12", "CLAIMEDIT_PARTITION_PREFIX": "acme"})
    assert (from_env.redis_cluster, from_env.partitions, from_env.partition_prefix) == (True, 12, "acme")
    assert settings_from(bare, env={"CLAIMEDIT_REDIS_CLUSTER": "false"}).redis_cluster is False
    with pytest.raises(SettingsError, match="CLAIMEDIT_REDIS_CLUSTER"):
        settings_from(bare, env={"CLAIMEDIT_REDIS_CLUSTER": "maybe"})

    submit = parser.parse_args(["submit", "claims.jsonl", "--redis-cluster", "--partitions", "6"])
    assert settings_from(submit, env={}).pipelines()[5].submitted == "claims:{p5.4}:submitted"


def test_the_partitions_command_lists_every_partitions_streams(capsys: pytest.CaptureFixture[str]) -> None:
    from workers.cli import main

    assert main(["partitions", "6", "--format", "json"]) == 0
    rows = msgspec.json.decode(capsys.readouterr().out)
    assert [row["submitted"] for row in rows] == [p.submitted for p in all_partitions(6)]
    assert all(key_slot(row["deadletter"].encode()) == row["slot"] for row in rows)
    assert main(["partitions", "0"]) == 2
    assert "P must be 1 to 1024" in capsys.readouterr().err
