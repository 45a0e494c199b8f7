"""The AsyncAPI 3.0 document of claim-edit's streams, generated from `contracts/` and the worker's settings.

`claim-edit asyncapi` prints it; `make schemas` (`python -m workers.asyncapi`) rewrites the committed
`docs/asyncapi.json`, and a test fails when that file is stale. docs/wire-format.md explains the messages.

FastStream's own generator (`faststream.specification.AsyncAPI`) lays out what it knows: the server,
one channel per stream with its Redis binding (XREADGROUP with the consumer group, or XADD) and one
operation per channel, from a broker declared here with the worker's stream names and group. What it
cannot know is filled in afterwards:

- payloads: FastStream derives them from handler type hints through pydantic; ours are msgspec Structs,
  so the payload schemas are msgspec's JSON Schemas (`contracts.json_schemas.components`);
- framing: FastStream assumes its own envelope (body in a `__data__` field, a correlation id in its
  headers); our entries carry the bare JSON in one field (`event`, `result`, `dead_letter`), which
  each message names in `x-redis-stream-field`, and a result is matched to its event by `event_id`;
- partitioned streams (`claims:{p<i>}:submitted`, docs/scale-out.md) are channels whose address has a
  parameter, which FastStream does not model.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import msgspec
from faststream.redis import RedisBroker, StreamSub
from faststream.specification import AsyncAPI

from contracts import (
    CLAIM_DEADLETTER,
    CLAIM_EDITED,
    CLAIM_SUBMITTED,
    RESULT_SCHEMA_VERSION,
    SCHEMA_VERSION,
    ClaimEdited,
    ClaimSubmitted,
    DeadLetter,
)
from contracts.json_schemas import components
from workers import wire_examples as examples
from workers.batch import EVENT_FIELD
from workers.commit import DEAD_LETTER_FIELD, RESULT_FIELD
from workers.partitions import DEFAULT_PREFIX
from workers.settings import Settings

DOCUMENT_PATH = Path(__file__).resolve().parents[1] / "docs" / "asyncapi.json"
SCHEMA_REF = "#/components/schemas/{name}"
SERVER = "redis"
PARTITION = "partition"


class _Stream(msgspec.Struct, frozen=True, kw_only=True):
    """One of the three streams: its channel ids (single and partitioned), field, message and direction."""

    key: str  # "submitted", "edited", "deadletter": the partitioned name's suffix
    single: str  # the single-stream name, from Settings
    field: str
    message: str  # the component message name
    event_type: str
    schema_version: int
    action: str  # the worker's: receive or send
    summary: str


def _streams(settings: Settings) -> tuple[_Stream, ...]:
    return (
        _Stream(key="submitted", single=settings.stream, field=EVENT_FIELD.decode(), message="ClaimSubmitted",
                event_type=CLAIM_SUBMITTED, schema_version=SCHEMA_VERSION, action="receive",
                summary="Claims to edit: one claim.submitted event per professional claim, written by the claims platform."),
        _Stream(key="edited", single=settings.result_stream, field=RESULT_FIELD, message="ClaimEdited",
                event_type=CLAIM_EDITED, schema_version=RESULT_SCHEMA_VERSION, action="send",
                summary="Results: exactly one claim.edited per claim.submitted event, matched by event_id."),
        _Stream(key="deadletter", single=settings.deadletter_stream, field=DEAD_LETTER_FIELD, message="DeadLetter",
                event_type=CLAIM_DEADLETTER, schema_version=SCHEMA_VERSION, action="send",
                summary="Entries that could not be edited (undecodable, invalid, redelivered too often), kept whole with the reason."),
    )


def _partitioned_address(key: str) -> str:
    return f"{DEFAULT_PREFIX}:{{{PARTITION}}}:{key}"


def _faststream_layout(settings: Settings) -> dict[str, Any]:
    """What FastStream's generator makes of a broker declaring our streams: servers, channels with bindings, operations."""
    broker = RedisBroker(settings.redis_url, description="The Redis of `--redis-url` (a seed node with `--redis-cluster`).")
    for stream in _streams(settings):
        for channel_id, address in ((stream.single, stream.single), (f"{DEFAULT_PREFIX}.{{{PARTITION}}}.{stream.key}",
                                                                      _partitioned_address(stream.key))):
            if stream.action == "receive":
                subscriber = broker.subscriber(stream=StreamSub(address, group=settings.group, consumer="worker", batch=True),
                                               title=channel_id, description=stream.summary)
                subscriber(_declared_only)
            else:
                broker.publisher(stream=address, title=channel_id, description=stream.summary)
    spec = AsyncAPI(broker, schema_version="3.0.0", title="claim-edit", version=_version()).to_specification()
    layout: dict[str, Any] = json.loads(spec.to_json())
    return layout


async def _declared_only(body: Any) -> None:
    """The subscriber's handler in the declaration broker: never run (the worker's real handler is in workers/runtime.py)."""


def _version() -> str:
    try:
        return version("claim-edit")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


def _message(stream: _Stream, payload_ref: dict[str, Any], example: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": stream.event_type,
        "title": f"{stream.event_type} (schema_version {stream.schema_version})",
        "summary": stream.summary,
        "description": (
            f"The JSON text of one `{stream.event_type}` is the value of the stream entry's field `{stream.field}` "
            f"(no other field, no FastStream envelope). Its JSON Schema alone: contracts/schema/{stream.event_type}.schema.json."
        ),
        "contentType": "application/json",
        "correlationId": {
            "description": "A claim.submitted event and its claim.edited result (or dead letter) share event_id.",
            "location": "$message.payload#/event_id",
        },
        "payload": payload_ref,
        "examples": [{"name": f"{stream.key}-example", "payload": example}],
        "x-redis-stream-field": stream.field,
    }


def _channel(layout: dict[str, Any], channel_id: str, stream: _Stream, partitioned: bool) -> dict[str, Any]:
    made = layout["channels"][channel_id]
    bindings = made["bindings"]["redis"]
    bindings.pop("consumerName", None)  # per worker process (`--consumer`, default host and pid), not part of the contract
    channel: dict[str, Any] = {
        "address": made["address"],
        "title": stream.key if not partitioned else f"{stream.key} (partition)",
        "summary": stream.summary,
        "servers": made["servers"],
        "messages": {stream.message: {"$ref": f"#/components/messages/{stream.message}"}},
        "bindings": made["bindings"],
    }
    if partitioned:
        channel["description"] = (
            f"With `--partitions P`: partition i's {stream.key} stream. `claim-edit partitions P` lists the names; "
            "a producer sends a claim to partition crc32(claim_id as UTF-8) mod P (docs/scale-out.md). "
            f"`{DEFAULT_PREFIX}` is `--partition-prefix`."
        )
        channel["parameters"] = {
            PARTITION: {
                "description": (
                    "The partition's Redis hash tag, braces included: `{p<i>}`, or `{p<i>.<k>}` with the smallest k >= 1 that "
                    "puts the tag's slot in the i-th of P equal slot ranges. The three streams of a partition share it."
                ),
                "examples": ["{p0.1}", "{p1.3}", "{p2}"],  # partitions 0-2 of P = 6
            }
        }
    else:
        channel["description"] = f"The single-stream layout (no `--partitions`). The name is `--{_flag(stream)}`."
    return channel


def _flag(stream: _Stream) -> str:
    return {"submitted": "stream", "edited": "result-stream", "deadletter": "deadletter-stream"}[stream.key]


def _drop_openapi_discriminators(node: Any) -> Any:
    """msgspec marks a tagged union with an OpenAPI `discriminator` object; an AsyncAPI schema's `discriminator` is a
    property name with other semantics. Each variant already requires its `kind` value, so the union stays exact without it."""
    if isinstance(node, dict):
        return {key: _drop_openapi_discriminators(value) for key, value in node.items()
                if not (key == "discriminator" and isinstance(value, dict))}
    if isinstance(node, list):
        return [_drop_openapi_discriminators(item) for item in node]
    return node


def document(settings: Settings | None = None) -> dict[str, Any]:
    """The AsyncAPI 3.0 document, as JSON-ready data."""
    settings = settings or Settings()
    layout = _faststream_layout(settings)
    streams = _streams(settings)
    refs, schemas = components((ClaimSubmitted, ClaimEdited, DeadLetter), SCHEMA_REF)
    payloads = dict(zip((s.message for s in streams), refs, strict=True))
    samples = {"ClaimSubmitted": examples.claim_submitted(), "ClaimEdited": examples.claim_edited(), "DeadLetter": examples.dead_letter()}

    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for stream in streams:
        for partitioned, channel_id in ((False, stream.single), (True, f"{DEFAULT_PREFIX}.{{{PARTITION}}}.{stream.key}")):
            made = layout["operations"][channel_id]
            channel_key = f"{DEFAULT_PREFIX}.partitioned.{stream.key}" if partitioned else stream.single
            channels[channel_key] = _channel(layout, channel_id, stream, partitioned)
            operation_id = f"{'receive' if made['action'] == 'receive' else 'send'}-{channel_key}"
            operations[operation_id] = {
                "action": made["action"],
                "channel": {"$ref": f"#/channels/{channel_key}"},
                "summary": ("The worker reads in the consumer group, edits, and acks each entry in the same server-side script "
                            "that writes its result or dead letter." if made["action"] == "receive"
                            else f"The worker's commit script writes one entry per acked input entry, field `{stream.field}`."),
                "messages": [{"$ref": f"#/channels/{channel_key}/messages/{stream.message}"}],
            }

    return {
        "asyncapi": "3.0.0",
        "id": "urn:claim-edit:streams",
        "info": {
            "title": "claim-edit",
            "version": layout["info"]["version"],
            "description": (
                "Real-time claim edits over Redis Streams. A claims platform writes claim.submitted events; workers in one "
                f"consumer group (`{settings.group}`) edit each claim and write exactly one claim.edited result, or a dead letter. "
                "Operations are the worker's: it receives claim.submitted and sends the others; producers and result "
                "consumers do the opposite. Field by field: docs/wire-format.md. Generated from contracts/ by `claim-edit asyncapi`."
            ),
            "license": {"name": "Apache-2.0", "url": "https://www.apache.org/licenses/LICENSE-2.0"},
        },
        "defaultContentType": "application/json",
        "servers": {SERVER: _server(layout["servers"]["development"])},
        "channels": _point_servers(channels),
        "operations": operations,
        "components": {
            "messages": {stream.message: _message(stream, payloads[stream.message], samples[stream.message]) for stream in streams},
            "schemas": _drop_openapi_discriminators(schemas),
        },
    }


def _server(made: dict[str, Any]) -> dict[str, Any]:
    """FastStream's server, without its placeholders (`protocolVersion` "custom", an empty `pathname`)."""
    return {key: value for key, value in made.items() if (key, value) not in {("protocolVersion", "custom"), ("pathname", "")}}


def _point_servers(channels: dict[str, Any]) -> dict[str, Any]:
    for channel in channels.values():
        channel["servers"] = [{"$ref": f"#/servers/{SERVER}"}]
    return channels


def render(settings: Settings | None = None) -> str:
    return json.dumps(document(settings), indent=2) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workers.asyncapi", description=f"Rewrite {DOCUMENT_PATH.name}.")
    parser.add_argument("--output", type=Path, default=DOCUMENT_PATH)
    args = parser.parse_args(argv)
    args.output.write_text(render())
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
