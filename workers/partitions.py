"""Partitioned streams for Redis Cluster: the stream names of each partition and the claim_id -> partition hash.

With P partitions, partition i has three streams that share one hash tag, so they (and the commit
script's other keys, such as `<input>:seen`) live in one hash slot and the commit stays single-slot:

    <prefix>:{<tag>}:submitted   <prefix>:{<tag>}:edited   <prefix>:{<tag>}:deadletter

The tag of partition i is `p<i>`, or `p<i>.<k>` with the smallest k >= 1, such that its Redis slot
(CRC16-XMODEM of the tag, mod 16384) falls in the i-th of P equal slot ranges. So partition 0 lives
in the first P-th of the slot space, partition 1 in the next, and so on: with the even, contiguous
slot split `redis-cli --cluster create` makes, each master holds P / masters partitions, without
moving slots by hand (plain `{p<i>}` tags landed 1/1/4 on three masters for P = 6). The tags depend on
P; so does every claim's partition, which is why P only changes with a drain (docs/scale-out.md).
`claim-edit partitions P` prints the stream names for producers to configure.

A producer picks the partition of a claim with `partition_of(patient_id, P)`: the CRC-32 (IEEE 802.3, the
checksum of zlib, gzip, PNG, Java's `java.util.zip.CRC32`, Go's `crc32.ChecksumIEEE`) of the patient_id's
UTF-8 bytes, as an unsigned 32-bit integer, modulo P. By patient, not by claim: a patient's history
(workers/history) lives in its partition's slot, so every claim of a patient must reach that partition.
Redis's own CRC16 key slot does not pick the partition: it only decides which master holds a partition's streams.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import zlib
from dataclasses import dataclass

from redis.crc import REDIS_CLUSTER_HASH_SLOTS as CLUSTER_SLOTS
from redis.crc import key_slot

DEFAULT_PREFIX = "claims"
MAX_PARTITIONS = 1024  # finding the tags takes about 0.5 s at 1024; far more partitions than masters buys nothing


def partition_of(patient_id: str, partitions: int) -> int:
    """The partition of a claim of `patient_id` among `partitions`: crc32(patient_id as UTF-8) mod partitions."""
    if partitions < 1:
        raise ValueError(f"partitions must be at least 1, got {partitions}")
    return zlib.crc32(patient_id.encode("utf-8")) % partitions


@dataclass(frozen=True, slots=True)
class PartitionStreams:
    """The three streams of one partition (or of the single-stream mode, where `index` is None)."""

    index: int | None
    submitted: str
    edited: str
    deadletter: str

    @property
    def label(self) -> str:
        """The `partition` label value of per-partition metrics and the name in log lines."""
        return "single" if self.index is None else str(self.index)


@functools.lru_cache(maxsize=4096)
def hash_tag(index: int, partitions: int) -> str:
    """`{p<i>}` or `{p<i>.<k>}` (smallest k) whose slot is in the index-th of `partitions` equal slot ranges."""
    if not 0 <= index < partitions <= MAX_PARTITIONS:
        raise ValueError(f"partition {index} of {partitions}: need 0 <= index < partitions <= {MAX_PARTITIONS}")
    low, high = index * CLUSTER_SLOTS // partitions, (index + 1) * CLUSTER_SLOTS // partitions
    for k in itertools.count():
        tag = f"p{index}" if k == 0 else f"p{index}.{k}"
        if low <= key_slot(tag.encode()) < high:  # redis-py's own slot function: CRC16-XMODEM mod 16384
            return f"{{{tag}}}"
    raise AssertionError("unreachable: itertools.count() is endless")


def partition_streams(index: int, partitions: int, prefix: str = DEFAULT_PREFIX) -> PartitionStreams:
    tag = f"{prefix}:{hash_tag(index, partitions)}"
    return PartitionStreams(index, f"{tag}:submitted", f"{tag}:edited", f"{tag}:deadletter")


def all_partitions(partitions: int, prefix: str = DEFAULT_PREFIX, only: tuple[int, ...] = ()) -> list[PartitionStreams]:
    """The streams of partitions 0..partitions-1, or of `only` those indexes when given."""
    indexes = only or tuple(range(partitions))
    outside = [i for i in indexes if not 0 <= i < partitions]
    if outside:
        raise ValueError(f"partition ids {outside} are outside 0..{partitions - 1}")
    return [partition_streams(i, partitions, prefix) for i in sorted(set(indexes))]


def key_hash_tag(key: str) -> str:
    """What Redis Cluster hashes for `key`: the text between the first `{` and the next `}` if non-empty, else the key."""
    start = key.find("{")
    if start >= 0:
        end = key.find("}", start + 1)
        if end > start + 1:
            return key[start + 1 : end]
    return key


def same_slot(*keys: str) -> bool:
    """True when Redis Cluster puts every key in one hash slot because they hash the same text."""
    return len({key_hash_tag(key) for key in keys}) == 1


def add_partition_arguments(parser: argparse.ArgumentParser) -> None:
    """`--partitions`, `--partition-prefix`, `--redis-cluster` for the commands that are not the worker (submit, results)."""
    parser.add_argument("--partitions", type=int, help="use the partition streams <prefix>:{p<i>[.k]}:... "
                        "(`claim-edit partitions N` lists them), "
                        "a claim goes to crc32(patient_id) mod N (docs/scale-out.md) "
                        "[default 0: the single streams, env CLAIMEDIT_PARTITIONS]")
    parser.add_argument("--partition-prefix", dest="partition_prefix",
                        help=f"prefix of the partition streams [default {DEFAULT_PREFIX}, env CLAIMEDIT_PARTITION_PREFIX]")
    parser.add_argument("--redis-cluster", dest="redis_cluster", action="store_true", default=None,
                        help="the Redis URL is a Redis Cluster node [env CLAIMEDIT_REDIS_CLUSTER=1]")
