"""`claim-edit replay`: what would a candidate rule set or reference quarter change on recorded traffic?

    events  (--events FILE | --stream NAME [--start] [--end])  -> candidate engine (the usual reference flags)
         or --partitions P [--start] [--end]                    every partition's input stream (docs/scale-out.md)
    before  (--baseline FILE | --baseline-stream NAME)          recorded results, matched by event_id, then claim_id
         or --baseline-partitions                               every partition's result stream, partition by partition
         or (--against [--against-reference ...])               a second engine, no recording needed
    or      --candidate-stream NAME                             results a shadow worker recorded, no engine here

Exit 0 when nothing (that --fail-on counts) changed, 1 when something did, 2 on an error.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any, Literal, NamedTuple

import redis

from contracts import ClaimSubmitted, decode_event
from edits import Engine
from workers import connection
from workers.history.offline import HistoryEditor, add_history_arguments, history_store
from workers.partitions import DEFAULT_PREFIX, MAX_PARTITIONS, PartitionStreams, all_partitions
from workers.reference_args import UsageError, add_reference_arguments, engine_from_args
from workers.replay.baseline import Baseline, FileBaseline, StreamBaseline
from workers.replay.diff import FAIL_ON
from workers.replay.partitioned import PartitionBaseline, misplaced, partition_entries
from workers.replay.progress import ProgressBar
from workers.replay.report import FORMATS, RENDERERS
from workers.replay.runner import Republisher, Side, Tally, replay_events, replay_results, warm_history
from workers.replay.sources import (
    DEFAULT_PAGE,
    RESULT_FIELD,
    FileLines,
    check_range,
    decode_line,
    id_tuple,
    just_before,
    parse_bound,
    stream_entries,
    stream_events,
)
from workers.settings import REDIS_SECURITY, Settings, add_redis_security_arguments, settings_from

PROG = "claim-edit replay"
AGAINST_FLAGS = ("reference", "pfs", "mue", "aoc", "ptp", "effective", "policy")


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "replay",
        help="diff a candidate rule set or reference quarter against recorded results",
        description="Replay recorded claim.submitted events through the edits with a candidate reference/policy and report "
        "which claims' findings change against recorded results (or against a second reference set). "
        "Exit 0: nothing changed; 1: something changed; 2: error.",
    )
    source = parser.add_argument_group("events to replay (one of)")
    source.add_argument("--events", type=Path, metavar="FILE", help="JSONL of bare claims or claim.submitted events")
    source.add_argument("--stream", metavar="NAME", help="input stream (field `event`), read with XRANGE; nothing is acked or changed")
    source.add_argument(
        "--candidate-stream", metavar="NAME",
        help="instead of running the edits here, take the candidate results a shadow worker wrote to this result stream",
    )
    source.add_argument(
        "--partitions", type=int, metavar="P",
        help="a partitioned recording: every partition's input stream <prefix>:{p<i>[.k]}:submitted, i in 0..P-1 "
        "(`claim-edit partitions P` lists them), each read with XRANGE and the same --start/--end",
    )
    source.add_argument("--partition-prefix", metavar="PREFIX",
                        help=f"prefix of the partition streams [default {DEFAULT_PREFIX}, env CLAIMEDIT_PARTITION_PREFIX]")
    source.add_argument("--start", metavar="ID|TIME", help="first stream id, or ISO 8601 time (inclusive; no offset = UTC)")
    source.add_argument("--end", metavar="ID|TIME", help="last stream id (inclusive), or ISO 8601 time (exclusive; no offset = UTC)")
    source.add_argument(
        "--warm-start", metavar="ID|TIME",
        help="with --stream/--partitions and --start: events from here up to --start only build history (their results are "
        "not compared), so claims at the start of the range see their patients' earlier claims",
    )
    source.add_argument("--warm-events", type=Path, metavar="FILE",
                        help="with --events: a JSONL of earlier events that only build history, edited in order before FILE")
    source.add_argument("--page", type=int, default=DEFAULT_PAGE, metavar="N", help=f"entries per XRANGE call [default {DEFAULT_PAGE}]")

    before = parser.add_argument_group("what to compare with (one of)")
    before.add_argument("--baseline", type=Path, metavar="FILE",
                        help="JSONL of claim.edited results, or the output of `claim-edit check --format json`")
    before.add_argument("--baseline-stream", metavar="NAME", help="recorded result stream (field `result`), e.g. claims.edited")
    before.add_argument("--baseline-partitions", action="store_true",
                        help="with --partitions: every partition's result stream <prefix>:{p<i>[.k]}:edited, each event "
                        "matched in its own partition's")
    before.add_argument(
        "--against", action="store_true",
        help="compare with a second engine instead of recorded results: the --against-* flags (bundled snapshot and "
        "default policy when none is given) are the 'before' side, the usual flags the 'after' side",
    )
    before.add_argument("--against-reference", action="append", type=Path, metavar="SNAPSHOT", help="'before' snapshot (repeatable)")
    before.add_argument("--against-pfs", type=Path, metavar="FILE", help="'before' PPRRVU file")
    before.add_argument("--against-mue", type=Path, metavar="FILE", help="'before' MUE table")
    before.add_argument("--against-aoc", type=Path, metavar="FILE", help="'before' add-on code table")
    before.add_argument("--against-ptp", action="append", type=Path, metavar="FILE", help="'before' PTP table file (repeatable)")
    before.add_argument("--against-effective", metavar="FROM:TO", help="period of the --against-pfs/-mue/-aoc/-ptp files")
    before.add_argument("--against-policy", type=Path, metavar="FILE", help="'before' policy TOML")

    report = parser.add_argument_group("report")
    report.add_argument("--format", choices=FORMATS, default="table", help="table (default), json, junit or markdown")
    report.add_argument("--output", "-o", type=Path, metavar="FILE", help="write the report here instead of standard output")
    report.add_argument("--show", type=int, metavar="N", help="table/markdown: list at most N changed claims (json and junit list all)")
    report.add_argument("--fail-on", choices=FAIL_ON, default="any",
                        help="what makes the exit status 1: claims with added findings, removed findings, or any change [default any]")

    redis_group = parser.add_argument_group("Redis")
    redis_group.add_argument("--republish", metavar="STREAM",
                             help="also XADD every readable replayed event to this sandbox stream (field `event`)")
    redis_group.add_argument(
        "--redis-url",
        default=os.environ.get("CLAIMEDIT_REDIS_URL") or os.environ.get("REDIS_URL") or "redis://localhost:6379",
        help="Redis URL for --stream, --baseline-stream, --candidate-stream, --republish [env CLAIMEDIT_REDIS_URL or REDIS_URL]",
    )
    redis_group.add_argument("--redis-cluster", action="store_true", default=None,
                             help="the Redis URL is a Redis Cluster node [env CLAIMEDIT_REDIS_CLUSTER=1]")
    add_redis_security_arguments(redis_group)
    add_history_arguments(parser, what="the replayed events, in stream order (partition by partition with --partitions)")
    add_reference_arguments(parser)
    parser.set_defaults(func=run)


def _fail(message: str) -> int:
    print(f"{PROG}: {message}", file=sys.stderr)
    return 2


def _without_password(url: str) -> str:
    """The URL as it may be printed: a password in it is masked."""
    return connection.redacted_url(url)


def _settings(args: argparse.Namespace) -> Settings:
    """--redis-url with the TLS, credential, cluster and partition-prefix flags (or their env vars), as every command resolves them."""
    names = (*REDIS_SECURITY, "redis_cluster", "partition_prefix")
    given = {name: getattr(args, name) for name in names if getattr(args, name, None) is not None}
    # Only --partitions selects partitioned streams here (not CLAIMEDIT_PARTITIONS, which a worker's environment may set
    # while `--stream` is meant). A replay only reads, so the worker's check that its own three streams share a slot in
    # a cluster does not apply: the partitioned layout always passes it.
    return settings_from(None, redis_url=args.redis_url, partitions=args.partitions or 1, partition_ids=(), **given)


def _redis_client(args: argparse.Namespace) -> redis.Redis:
    """A client on --redis-url (a RedisCluster with --redis-cluster), as every command builds it."""
    return connection.sync_client(_settings(args))


def _partitions(args: argparse.Namespace) -> list[PartitionStreams]:
    return all_partitions(args.partitions, _settings(args).partition_prefix) if args.partitions else []


def _against_wanted(args: argparse.Namespace) -> bool:
    return bool(args.against) or any(getattr(args, f"against_{name}") for name in AGAINST_FLAGS)


def _against_engine(args: argparse.Namespace) -> Engine:
    """The 'before' engine, resolved by the shared reference flags' own code from the --against-* values."""
    side = argparse.Namespace(**{name: getattr(args, f"against_{name}") for name in AGAINST_FLAGS})
    try:
        return engine_from_args(side)
    except ValueError as error:
        raise UsageError(f"--against side: {error}") from None


def _check_choices(args: argparse.Namespace) -> None:
    given = (("--events", args.events), ("--stream", args.stream), ("--candidate-stream", args.candidate_stream),
             ("--partitions", args.partitions is not None))
    sources = [flag for flag, value in given if value]
    if len(sources) != 1:
        got = f" (got {', '.join(sources)})" if sources else ""
        raise UsageError(f"give exactly one of --events FILE, --stream NAME or --candidate-stream NAME (or --partitions P){got}")
    if args.partitions is not None and not 1 <= args.partitions <= MAX_PARTITIONS:
        raise UsageError(f"--partitions must be 1 to {MAX_PARTITIONS}, got {args.partitions}")
    befores = [flag for flag, value in (("--baseline", args.baseline), ("--baseline-stream", args.baseline_stream),
                                        ("--baseline-partitions", args.baseline_partitions), ("--against", _against_wanted(args))) if value]
    if len(befores) > 1:
        raise UsageError(f"give one of --baseline, --baseline-stream or --against (or --baseline-partitions) (got {', '.join(befores)})")
    if not befores and not args.republish:
        raise UsageError("nothing to compare with: give --baseline FILE, --baseline-stream NAME, --baseline-partitions or --against "
                         "(or only --republish)")
    if args.baseline_partitions and not args.partitions:
        if args.events:
            raise UsageError("--baseline-partitions reads the events of the same partitions: use --partitions P instead of --events, "
                             "or compare a file with --baseline FILE or one --baseline-stream NAME")
        raise UsageError("--baseline-partitions matches each partition's events with its results: give --partitions P")
    if args.candidate_stream and (not befores or befores[0] == "--against"):
        raise UsageError("--candidate-stream compares recorded results: give --baseline or --baseline-stream")
    if args.candidate_stream and args.republish:
        raise UsageError("--republish needs events (--events or --stream), not a result stream")
    if args.events and (args.start or args.end):
        raise UsageError("--start/--end select a stream range; with --events FILE, cut the file instead")
    if args.page < 1:
        raise UsageError(f"--page must be at least 1, got {args.page}")
    if args.show is not None and args.show < 0:
        raise UsageError(f"--show must not be negative, got {args.show}")
    _check_warm(args)
    partitioned = {name for p in _partitions(args) for name in (p.submitted, p.edited)}
    if args.republish and (args.republish in (args.stream, args.baseline_stream) or args.republish in partitioned):
        raise UsageError(f"--republish {args.republish!r} is a stream this replay reads: use a separate sandbox stream")


def _check_warm(args: argparse.Namespace) -> None:
    if (args.warm_start or args.warm_events) and not args.history:
        raise UsageError("--warm-start/--warm-events build history: they make no sense with --no-history")
    if args.warm_start and not (args.stream or args.partitions):
        raise UsageError("--warm-start reads the input stream before --start: give --stream NAME or --partitions P "
                         "(with --events FILE, give the earlier events as --warm-events FILE)")
    if args.warm_start and not args.start:
        raise UsageError("--warm-start warms history up to --start: give --start too")
    if args.warm_events and not args.events:
        raise UsageError("--warm-events goes with --events FILE (for streams use --warm-start ID|TIME)")


def run(args: argparse.Namespace) -> int:
    try:
        _check_choices(args)
        start = parse_bound(args.start, end=False) if args.start else "-"
        end = parse_bound(args.end, end=True) if args.end else "+"
        check_range(start, end)
        warm = parse_bound(args.warm_start, end=False) if args.warm_start else None
        if warm is not None and id_tuple(warm, end=False) >= id_tuple(start, end=False):
            raise UsageError(f"--warm-start ({warm}) must be before --start ({start})")
        candidate = HistoryEditor(engine_from_args(args), history_store(args)) if not args.candidate_stream else None
        against = HistoryEditor(_against_engine(args), history_store(args)) if _against_wanted(args) else None
    except ValueError as error:
        return _fail(str(error))
    try:
        with ExitStack() as stack:
            return _replay(args, stack, start, end, warm, candidate, against)
    except ValueError as error:  # BaselineError, bad input the flags checks could not see
        return _fail(str(error))
    except OSError as error:
        return _fail(f"{error.filename or ''}: {error.strerror or error}")
    except redis.RedisError as error:
        moved = isinstance(error, redis.exceptions.MovedError)  # its text is only "<slot> <host:port>"
        text = f"MOVED {error}: a Redis Cluster node, give --redis-cluster" if moved else str(error)
        return _fail(f"Redis at {_without_password(args.redis_url)}: {text}")
    except KeyboardInterrupt:  # not 1, which would read as "something changed"
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


class _Source(NamedTuple):
    entries: Iterable[tuple[int | str, bytes | None]]
    kind: Literal["line", "entry"]
    described: str
    measure: Callable[[int], tuple[int, int | None]]
    decode: Callable[[bytes], ClaimSubmitted]


def _open_source(args: argparse.Namespace, client: redis.Redis | None, start: str, end: str, baseline: Baseline | None) -> _Source:
    if args.events:
        lines = FileLines(args.events)
        return _Source(lines, "line", str(args.events), lambda count: (lines.done, lines.size), decode_line)
    assert client is not None
    if args.partitions:
        return _open_partitions(args, client, start, end, baseline)
    name = args.stream or args.candidate_stream
    if not client.exists(name):
        raise ValueError(f"stream {name!r} does not exist at {_without_password(args.redis_url)}")
    ranged = (start, end) != ("-", "+")
    total = None if ranged else int(client.xlen(name))
    described = f"stream {name}" + (f" [{start} .. {end}]" if ranged else "")
    entries = (
        _results(stream_entries(client, name, start, end, args.page))
        if args.candidate_stream
        else stream_events(client, name, start, end, args.page)
    )
    # The worker reads streams with decode_event: a bare claim there is a dead letter, so it is unreadable here too.
    return _Source(entries, "entry", described, lambda count: (count, total), decode_event)


def _open_partitions(args: argparse.Namespace, client: redis.Redis, start: str, end: str, baseline: Baseline | None) -> _Source:
    partitions = _partitions(args)
    lengths = [int(client.xlen(p.submitted)) for p in partitions]  # one key per command: a cluster routes each to its master
    if not any(lengths):
        raise ValueError(f"no partition input stream holds entries ({partitions[0].submitted} ..) at {_without_password(args.redis_url)}: "
                         "is --partitions/--partition-prefix right?")
    wrong = misplaced(client, partitions, args.partitions)
    if wrong:  # a warning: a producer that misplaces some claims should not stop the replay of the others
        print(f"{PROG}: warning: {', '.join(wrong)} hold{'s' if len(wrong) == 1 else ''} claims of other partitions "
              f"(crc32(patient_id) mod {args.partitions}): is --partitions {args.partitions} the workers' P?", file=sys.stderr)
    ranged = (start, end) != ("-", "+")
    total = None if ranged else sum(lengths)
    described = f"{len(partitions)} partition streams {partitions[0].submitted} .." + (f" [{start} .. {end}]" if ranged else "")
    per_partition = baseline if isinstance(baseline, PartitionBaseline) else None
    entries = partition_entries(client, partitions, start, end, args.page, per_partition)
    return _Source(entries, "entry", described, lambda count: (count, total), decode_event)


def _open_baseline(args: argparse.Namespace, client: redis.Redis | None, start: str) -> Baseline | None:
    if args.baseline:
        return FileBaseline(args.baseline)
    if args.baseline_partitions:
        assert client is not None
        return PartitionBaseline(client, _partitions(args), start=start, page=args.page)
    if args.baseline_stream:
        assert client is not None
        # A result is always written after its event, so results of events from `start` on are from `start` on too.
        return StreamBaseline(client, args.baseline_stream, start=start if args.stream or args.partitions else "-", page=args.page)
    return None


def _sides(args: argparse.Namespace, described: str, candidate: HistoryEditor | None, against: HistoryEditor | None,
           baseline: Baseline | None) -> tuple[Side, Side]:
    if candidate is None:
        after = Side(description=f"recorded results in stream {args.candidate_stream}")
    else:
        engine = candidate.engine
        after = Side(description=f"candidate, events from {described}, {candidate.described()}", reference_version=engine.reference_version,
                     ruleset_version=engine.ruleset_version)
    if against is not None:
        before = Side(description=f"--against engine, {against.described()}", reference_version=against.engine.reference_version,
                      ruleset_version=against.engine.ruleset_version)
    elif baseline is not None:
        before = Side(description=f"recorded results in {baseline.description} ({baseline.results():,} results)")
    else:
        before = Side(description="none (republish only)")
    return before, after


def _warm_source(args: argparse.Namespace, client: redis.Redis | None, warm: str | None, start: str) -> _Source | None:
    """The events that only build history: --warm-events FILE, or the input stream(s) from --warm-start to just before --start."""
    if args.warm_events:
        lines = FileLines(args.warm_events)
        return _Source(lines, "line", str(args.warm_events), lambda count: (lines.done, lines.size), decode_line)
    if warm is None:
        return None
    assert client is not None
    until = just_before(start)
    if args.partitions:
        entries: Iterable[tuple[int | str, bytes | None]] = partition_entries(client, _partitions(args), warm, until, args.page)
    else:
        entries = stream_events(client, args.stream, warm, until, args.page)
    return _Source(entries, "entry", f"[{warm} .. {until}]", lambda count: (count, None), decode_event)


def _replay(args: argparse.Namespace, stack: ExitStack, start: str, end: str, warm: str | None, candidate: HistoryEditor | None,
            against: HistoryEditor | None) -> int:
    client: redis.Redis | None = None
    if args.stream or args.partitions or args.candidate_stream or args.baseline_stream or args.republish:
        client = stack.enter_context(_redis_client(args))
        client.ping()
    baseline = _open_baseline(args, client, start)
    if baseline is not None:
        stack.callback(baseline.close)
    source = _open_source(args, client, start, end, baseline)
    tally = Tally(source.kind, args.fail_on)
    stack.callback(tally.spool.close)
    republisher = Republisher(client, args.republish) if args.republish and client is not None else None
    warming = _warm_source(args, client, warm, start)
    if warming is not None and candidate is not None:
        editors = [editor for editor in (candidate, against) if editor is not None]
        with ProgressBar(f"warming history from {warming.described}", warming.measure) as bar:
            warm_history(warming.entries, warming.decode, tally, editors, progress=bar.update)
    with ProgressBar(f"replaying {source.described}", source.measure) as bar:
        if candidate is None:
            assert baseline is not None
            replay_results(source.entries, tally, baseline, progress=bar.update)
        else:
            replay_events(source.entries, source.decode, tally, candidate, baseline, against, republisher, progress=bar.update)
    before, after = _sides(args, source.described, candidate, against, baseline)
    summary = tally.summary(before, after, baseline, republisher)
    out: IO[str] = stack.enter_context(args.output.open("w", encoding="utf-8")) if args.output else sys.stdout
    RENDERERS[args.format](summary, tally.spool, out, args.show)
    out.flush()
    if summary.totals.unreadable:
        first = summary.unreadable[0]
        print(f"{PROG}: {summary.totals.unreadable:,} unreadable (first: {first.where}: {first.reason})", file=sys.stderr)
    return 1 if summary.failed else 0


def _results(entries: Iterator[tuple[bytes, dict[bytes, bytes]]]) -> Iterator[tuple[int | str, bytes | None]]:
    for entry_id, fields in entries:
        yield entry_id.decode(), fields.get(RESULT_FIELD)
