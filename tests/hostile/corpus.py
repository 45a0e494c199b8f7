"""A corpus of hostile inputs, generated in code: each case is a payload (or a whole stream entry) and what must become of it.

`PAYLOADS` are values of an entry's `event` field, for `contracts.decode_event`: each names the
dead-letter reason it must get (or None: it is a valid event and must be edited) and, for schema
errors, the JSON path (or the field) its detail must name. `ENTRIES` are whole stream entries (field
maps), for what only a worker sees: no `event` field, extra fields, FastStream envelopes.

Big payloads are built on demand (`Case.payload()`), so importing the corpus costs nothing.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from contracts import DEFAULT_MAX_EVENT_BYTES, DeadLetterReason

MIB = 1024 * 1024
LIMIT = DEFAULT_MAX_EVENT_BYTES

# FastStream's binary envelope (faststream.redis.parser.BinaryMessageFormatV1): magic, version 1, offsets, headers, body.
FASTSTREAM_MAGIC = b"\x89BIN\r\n\x1a\n"


def valid_event(event_id: str = "E-hostile-1") -> dict[str, Any]:
    """A valid `claim.submitted` event as plain JSON data: the skeleton every mutation starts from."""
    return {
        "event_id": event_id,
        "event_type": "claim.submitted",
        "schema_version": 1,
        "occurred_at": "2025-11-04T10:00:00Z",
        "claim": {
            "claim_id": "C-hostile-1",
            "patient_id": "P-hostile",
            "billing_provider_npi": "1234567893",
            "lines": [
                {"line_number": 1, "code": "64628", "units": 1, "date_of_service": "2025-11-04"},
                {"line_number": 2, "code": "64629", "modifiers": ["59"], "units": 1, "date_of_service": "2025-11-04"},
            ],
        },
    }


def dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def with_value(path: tuple[str | int, ...], value: Any, *, delete: bool = False) -> dict[str, Any]:
    """The valid event with the value at `path` replaced (or deleted)."""
    body = valid_event()
    parent: Any = body
    for step in path[:-1]:
        parent = parent[step]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return body


def set_at(path: tuple[str | int, ...], value: Any) -> Callable[[], bytes]:
    return lambda: dumps(with_value(path, value))


def raw_at(path: tuple[str | int, ...], raw: bytes) -> Callable[[], bytes]:
    """The valid event with the value at `path` replaced by raw JSON text (for what json.dumps will not write)."""
    marker = "@@HOSTILE@@"
    return lambda: dumps(with_value(path, marker)).replace(f'"{marker}"'.encode(), raw)


def lines(count: int, *, same_number: bool = False) -> Callable[[], bytes]:
    def build() -> bytes:
        template = {"line_number": 1, "code": "64628", "units": 1, "date_of_service": "2025-11-04"}
        rows = [dict(template, line_number=1 if same_number else (i % 50) + 1) for i in range(count)]
        return dumps(with_value(("claim", "lines"), rows))

    return build


def padded_to(size: int) -> Callable[[], bytes]:
    """A valid event grown to exactly `size` bytes by an unknown field (ignored, so still valid)."""

    def build() -> bytes:
        body = valid_event()
        body["padding"] = ""
        bare = len(dumps(body))
        body["padding"] = "x" * (size - bare)
        out = dumps(body)
        assert len(out) == size
        return out

    return build


def nested(opening: bytes, closing: bytes, depth: int, *, inside: bool) -> Callable[[], bytes]:
    """`depth` levels of nesting, bare or as the value of an unknown field of a valid event."""

    def build() -> bytes:
        deep = opening * depth + b"1" + closing * depth
        if not inside:
            return deep
        return b'{"x":' + deep + b"," + dumps(valid_event())[1:]

    return build


def faststream_binary(body: bytes, headers: dict[str, str] | None = None) -> bytes:
    """FastStream's binary envelope, written as its BinaryMessageFormatV1.encode writes it."""
    head = b"".join(struct.pack(">H", len(k)) + k.encode() + struct.pack(">H", len(v)) + v.encode() for k, v in (headers or {}).items())
    headers_start = len(FASTSTREAM_MAGIC) + 2 + 8
    data_start = headers_start + 2 + len(head)
    return FASTSTREAM_MAGIC + struct.pack(">HII", 1, headers_start, data_start) + struct.pack(">H", len(headers or {})) + head + body


@dataclass(frozen=True)
class Case:
    """One hostile payload: `reason` None means it is a valid event (accepted, edited); `where` is what the detail must name."""

    name: str
    build: Callable[[], bytes]
    reason: DeadLetterReason | None
    where: str | None = None

    def payload(self) -> bytes:
        return self.build()


def _const(data: bytes) -> Callable[[], bytes]:
    return lambda: data


LINE = ("claim", "lines", 0)


def _line(field: str) -> tuple[str | int, ...]:
    return (*LINE, field)


_VALID = dumps(valid_event())

PAYLOADS: tuple[Case, ...] = (
    # -- not JSON, not UTF-8, not an object --------------------------------------------------------------
    Case("empty payload", _const(b""), "not-json"),
    Case("truncated JSON", _const(_VALID[:-7]), "not-json"),
    Case("truncated inside a string", _const(_VALID[: _VALID.index(b"C-hostile") + 3]), "not-json"),
    Case("truncated after a key", _const(b'{"event_id":'), "not-json"),
    Case("trailing garbage", _const(_VALID + b" x"), "not-json"),
    Case("two events back to back", _const(_VALID + _VALID), "not-json"),
    Case("UTF-8 byte order mark", _const(b"\xef\xbb\xbf" + _VALID), "not-json"),
    Case("leading zero number", raw_at(_line("units"), b"01"), "not-json"),
    Case("NaN units", raw_at(_line("units"), b"NaN"), "not-json"),
    Case("Infinity units", raw_at(_line("units"), b"Infinity"), "not-json"),
    Case("-Infinity units", raw_at(_line("units"), b"-Infinity"), "not-json"),
    Case("raw NUL byte inside a string", _const(_VALID.replace(b"C-hostile", b"C-\x00hostile")), "not-json"),
    Case("escaped lone high surrogate", raw_at(("claim", "claim_id"), b'"C-\\ud800"'), "not-json"),
    Case("escaped lone low surrogate", raw_at(("claim", "patient_id"), b'"\\udc00P"'), "not-json"),
    Case("escaped reversed surrogate pair", raw_at(("event_id",), b'"\\udc00\\ud800"'), "not-json"),
    Case("invalid UTF-8 byte", _const(_VALID.replace(b"P-hostile", b"P-\xff\xfe")), "invalid-utf8"),
    Case("overlong UTF-8 encoding", _const(_VALID.replace(b"P-hostile", b"P-\xc0\xaf")), "invalid-utf8"),
    Case("UTF-8-encoded surrogate", _const(_VALID.replace(b"P-hostile", b"P-\xed\xa0\x80")), "invalid-utf8"),
    Case("invalid UTF-8 in a key", _const(_VALID.replace(b'"claim_id"', b'"claim_\xffid"')), "invalid-utf8"),
    Case("invalid UTF-8 in an unknown field (msgspec skips it unchecked)", _const(b'{"note":"\xff\xfe",' + _VALID[1:]), "invalid-utf8"),
    Case("invalid UTF-8 in an unknown key", _const(b'{"\xff":1,' + _VALID[1:]), "invalid-utf8"),
    Case("truncated UTF-8 sequence at the end", _const(_VALID[:-2] + b"\xe2\x82"), "invalid-utf8"),
    Case("latin-1 text", _const(_VALID.replace(b"P-hostile", "P-Müller".encode("latin-1"))), "invalid-utf8"),
    Case("JSON null", _const(b"null"), "schema"),
    Case("JSON array instead of an object", _const(b"[" + _VALID + b"]"), "schema"),
    Case("JSON string", _const(b'"claim.submitted"'), "schema"),
    Case("JSON number", _const(b"1"), "schema"),
    Case("JSON true", _const(b"true"), "schema"),
    # -- depth and size -------------------------------------------------------------------------------
    Case("100,000 [ (unbalanced)", _const(b"[" * 100_000), "schema"),
    Case("100,000 nested arrays, balanced", nested(b"[", b"]", 100_000, inside=False), "schema"),
    Case("100,000 nested arrays in an unknown field", nested(b"[", b"]", 100_000, inside=True), "not-json"),
    Case("100,000 nested objects in an unknown field", nested(b'{"a":', b"}", 100_000, inside=True), "not-json"),
    Case("100,000 [ as the claim", raw_at(("claim",), b"[" * 100_000), "schema", "$.claim"),
    Case("100,000 { as the event_id", raw_at(("event_id",), b'{"a":' * 100_000), "schema", "$.event_id"),
    Case("a million lines entries", raw_at(("claim", "lines"), b"[" + b"{}," * 999_999 + b"{}]"), "oversize"),
    Case("12,000 lines entries under the size limit", lines(12_000), "schema", "$.claim.lines"),
    Case("51 lines", lines(51), "schema", "$.claim.lines"),
    Case("50 lines", lines(50), None),
    Case("no lines", set_at(("claim", "lines"), []), "schema", "$.claim.lines"),
    Case("2 MiB claim_id (over the limit)", set_at(("claim", "claim_id"), "C" * (2 * MIB)), "oversize"),
    Case("1 MiB - 512 bytes claim_id (under the limit)", set_at(("claim", "claim_id"), "C" * (LIMIT - 512)), "schema", "$.claim.claim_id"),
    Case("5 MiB unknown field (over the limit)", set_at(("note",), "n" * (5 * MIB)), "oversize"),
    Case("valid event padded to exactly the limit", padded_to(LIMIT), None),
    Case("valid event padded to the limit + 1 byte", padded_to(LIMIT + 1), "oversize"),
    Case("16 MiB of NUL bytes", _const(b"\x00" * (16 * MIB)), "oversize"),
    # -- units ------------------------------------------------------------------------------------------
    Case("units 1e999 (overflows to infinity)", raw_at(_line("units"), b"1e999"), "schema", "$.claim.lines[0].units"),
    Case("units -1e999", raw_at(_line("units"), b"-1e999"), "schema", "$.claim.lines[0].units"),
    Case("units 1e308", set_at(_line("units"), 1e308), "schema", "$.claim.lines[0].units"),
    Case("units 10**30", raw_at(_line("units"), b"1" + b"0" * 30), "schema", "$.claim.lines[0].units"),
    Case("units 99,999.5", set_at(_line("units"), 99_999.5), "schema", "$.claim.lines[0].units"),
    Case("units 100000", set_at(_line("units"), 100_000), "schema", "$.claim.lines[0].units"),
    Case("units 99999", set_at(_line("units"), 99_999), None),
    Case("units 0", set_at(_line("units"), 0), "schema", "$.claim.lines[0].units"),
    Case("units 0.0", set_at(_line("units"), 0.0), "schema", "$.claim.lines[0].units"),
    Case("units -0.0", raw_at(_line("units"), b"-0.0"), "schema", "$.claim.lines[0].units"),
    Case("units -1", set_at(_line("units"), -1), "schema", "$.claim.lines[0].units"),
    Case("units 1e-320 (subnormal, positive)", raw_at(_line("units"), b"1e-320"), None),
    Case("units true", set_at(_line("units"), True), "schema", "$.claim.lines[0].units"),
    Case("units false", set_at(_line("units"), False), "schema", "$.claim.lines[0].units"),
    Case("units as a string", set_at(_line("units"), "1"), "schema", "$.claim.lines[0].units"),
    Case("units null", set_at(_line("units"), None), "schema", "$.claim.lines[0].units"),
    Case("units as an array", set_at(_line("units"), [1]), "schema", "$.claim.lines[0].units"),
    # -- line numbers, modifiers, codes ---------------------------------------------------------------
    Case("line_number 0", set_at(_line("line_number"), 0), "schema", "$.claim.lines[0].line_number"),
    Case("line_number 51", set_at(_line("line_number"), 51), "schema", "$.claim.lines[0].line_number"),
    Case("line_number 1.5", set_at(_line("line_number"), 1.5), "schema", "$.claim.lines[0].line_number"),
    Case("line_number 1e0", raw_at(_line("line_number"), b"1e0"), "schema", "$.claim.lines[0].line_number"),
    Case("line_number true", set_at(_line("line_number"), True), "schema", "$.claim.lines[0].line_number"),
    Case("duplicate line numbers", lines(2, same_number=True), "schema", "$.claim"),
    Case("5 modifiers", set_at(_line("modifiers"), ["50", "51", "RT", "LT", "59"]), "schema", "$.claim.lines[0].modifiers"),
    Case("3-character modifier", set_at(_line("modifiers"), ["RTX"]), "schema", "$.claim.lines[0].modifiers[0]"),
    Case("1-character modifier", set_at(_line("modifiers"), ["5"]), "schema", "$.claim.lines[0].modifiers[0]"),
    Case("lowercase modifier", set_at(_line("modifiers"), ["rt"]), "schema", "$.claim.lines[0]"),
    Case("modifier with a NUL", set_at(_line("modifiers"), ["5\x00"]), "schema", "$.claim.lines[0]"),
    Case("modifiers as a string", set_at(_line("modifiers"), "50"), "schema", "$.claim.lines[0].modifiers"),
    Case("modifier as a number", set_at(_line("modifiers"), [50]), "schema", "$.claim.lines[0].modifiers[0]"),
    Case("lowercase code", set_at(_line("code"), "6462a"), "schema", "$.claim.lines[0]"),
    Case("code with a NUL", set_at(_line("code"), "6462\x00"), "schema", "$.claim.lines[0]"),
    Case("code with a space", set_at(_line("code"), "64 28"), "schema", "$.claim.lines[0]"),
    Case("code with non-ASCII digits", set_at(_line("code"), "６４６２８"), "schema", "$.claim.lines[0]"),
    Case("4-character code", set_at(_line("code"), "6462"), "schema", "$.claim.lines[0].code"),
    Case("6-character code", set_at(_line("code"), "646280"), "schema", "$.claim.lines[0].code"),
    Case("code as a number", set_at(_line("code"), 64628), "schema", "$.claim.lines[0].code"),
    Case("code missing", lambda: dumps(with_value(_line("code"), None, delete=True)), "schema", "code"),
    # -- other wrong types and values ---------------------------------------------------------------
    Case("event_id of 129 characters", set_at(("event_id",), "E" * 129), "schema", "$.event_id"),
    Case("event_id of 128 characters", set_at(("event_id",), "E" * 128), None),
    Case("empty event_id", set_at(("event_id",), ""), "schema", "$.event_id"),
    Case("event_id as a number", set_at(("event_id",), 7), "schema", "$.event_id"),
    Case("event_id missing", lambda: dumps(with_value(("event_id",), None, delete=True)), "schema", "event_id"),
    Case("claim missing", lambda: dumps(with_value(("claim",), None, delete=True)), "schema", "claim"),
    Case("claim null", set_at(("claim",), None), "schema", "$.claim"),
    Case("claim as a string", set_at(("claim",), "C-1"), "schema", "$.claim"),
    Case("lines as an object", set_at(("claim", "lines"), {"0": {}}), "schema", "$.claim.lines"),
    Case("a line as an array", set_at(LINE, [1, "64628"]), "schema", "$.claim.lines[0]"),
    Case("claim_id of 65 characters", set_at(("claim", "claim_id"), "C" * 65), "schema", "$.claim.claim_id"),
    Case("NUL in claim_id (opaque id: accepted)", set_at(("claim", "claim_id"), "C-\x00-1"), None),
    Case("control characters in patient_id (opaque id: accepted)", set_at(("claim", "patient_id"), "\x01\x1f\x7f"), None),
    Case("NPI with letters", set_at(("claim", "billing_provider_npi"), "12345678AB"), "schema", "$.claim"),
    Case("NPI of 9 digits", set_at(("claim", "billing_provider_npi"), "123456789"), "schema", "$.claim.billing_provider_npi"),
    Case("NPI as a number", set_at(("claim", "billing_provider_npi"), 1234567893), "schema", "$.claim.billing_provider_npi"),
    Case("negative charge", set_at(("claim", "total_charge"), -1), "schema", "$.claim"),
    Case("13 diagnosis codes", set_at(("claim", "diagnosis_codes"), ["M5450"] * 13), "schema", "$.claim.diagnosis_codes"),
    # -- dates and timestamps ---------------------------------------------------------------------------
    Case("date 2025-02-30", set_at(_line("date_of_service"), "2025-02-30"), "schema", "$.claim.lines[0].date_of_service"),
    Case("date 0000-01-01", set_at(_line("date_of_service"), "0000-01-01"), "schema", "$.claim.lines[0].date_of_service"),
    Case("date 2025-13-01", set_at(_line("date_of_service"), "2025-13-01"), "schema", "$.claim.lines[0].date_of_service"),
    Case("date 10000-01-01", set_at(_line("date_of_service"), "10000-01-01"), "schema", "$.claim.lines[0].date_of_service"),
    Case("date 2025-3-4", set_at(_line("date_of_service"), "2025-3-4"), "schema", "$.claim.lines[0].date_of_service"),
    Case("date as a datetime", set_at(_line("date_of_service"), "2025-11-04T00:00:00Z"), "schema", "$.claim.lines[0].date_of_service"),
    Case("date as a number", set_at(_line("date_of_service"), 20251104), "schema", "$.claim.lines[0].date_of_service"),
    Case("date empty", set_at(_line("date_of_service"), ""), "schema", "$.claim.lines[0].date_of_service"),
    Case("date 0001-01-01 (far past: accepted)", set_at(_line("date_of_service"), "0001-01-01"), None),
    Case("date 9999-12-31 (far future: accepted)", set_at(_line("date_of_service"), "9999-12-31"), None),
    Case("date_of_service_to before date_of_service", set_at(_line("date_of_service_to"), "2025-11-01"), "schema", "$.claim.lines[0]"),
    Case("timestamp without time zone", set_at(("occurred_at",), "2025-11-04T10:00:00"), "schema", "$.occurred_at"),
    Case("timestamp as a date", set_at(("occurred_at",), "2025-11-04"), "schema", "$.occurred_at"),
    Case("timestamp hour 25", set_at(("occurred_at",), "2025-11-04T25:00:00Z"), "schema", "$.occurred_at"),
    Case("timestamp as epoch seconds", set_at(("occurred_at",), 1_762_250_400), "schema", "$.occurred_at"),
    Case("timestamp 9999-12-31T23:59:59-14:00 (past year 9999 in UTC: accepted)", set_at(("occurred_at",), "9999-12-31T23:59:59-14:00"),
         None),
    Case("timestamp 0001-01-01T00:00:00+14:00 (before year 1 in UTC: accepted)", set_at(("occurred_at",), "0001-01-01T00:00:00+14:00"),
         None),
    # -- event type and version -----------------------------------------------------------------------
    Case("event_type claim.edited", set_at(("event_type",), "claim.edited"), "wrong-event-type"),
    Case("event_type empty", set_at(("event_type",), ""), "wrong-event-type"),
    Case("event_type as a number", set_at(("event_type",), 5), "schema", "$.event_type"),
    Case("event_type null", set_at(("event_type",), None), "schema", "$.event_type"),
    Case("event_type as an array", set_at(("event_type",), ["claim.submitted"]), "schema", "$.event_type"),
    Case("schema_version 2", set_at(("schema_version",), 2), "unsupported-schema-version"),
    Case("schema_version 10**30", raw_at(("schema_version",), b"1" + b"0" * 30), "unsupported-schema-version"),
    Case("schema_version as an array", set_at(("schema_version",), [1]), "schema", "$.schema_version"),
    Case("schema_version as an object", set_at(("schema_version",), {"v": 1}), "schema", "$.schema_version"),
    Case("schema_version as a string", set_at(("schema_version",), "1"), "schema", "$.schema_version"),
    Case("schema_version true", set_at(("schema_version",), True), "schema", "$.schema_version"),
    Case("schema_version 1.0", set_at(("schema_version",), 1.0), "schema", "$.schema_version"),
    Case("schema_version 2 with a broken claim", lambda: dumps({**valid_event(), "schema_version": 2, "claim": []}),
         "unsupported-schema-version"),
    # -- unknown fields and duplicates: accepted --------------------------------------------------------
    Case("unknown top-level field", set_at(("future_field",), {"x": [1, 2, 3]}), None),
    Case("unknown claim field", set_at(("claim", "future_field"), "x"), None),
    Case("unknown line field", set_at(_line("future_field"), None), None),
    Case("duplicate key (the last one wins)", _const(b'{"event_id":"E-first",' + _VALID[1:]), None),
    Case("whitespace around the event", _const(b" \t\r\n" + _VALID + b"\n"), None),
)


def payload_case(name: str) -> Case:
    (found,) = [case for case in PAYLOADS if case.name == name]
    return found


@dataclass(frozen=True)
class EntryCase:
    """A whole stream entry: what only the worker sees. `reason` None: it must get a result."""

    name: str
    build: Callable[[], dict[bytes, bytes]]
    reason: DeadLetterReason | None

    def fields(self) -> dict[bytes, bytes]:
        return self.build()


def _legacy_envelope_of_many_objects(size: int) -> bytes:
    # What FastStream's parser JSON-decodes whole when the envelope is not its binary format: a few MiB of `{}`
    # become millions of dicts.
    return b"[" + b"{}," * (size // 3) + b"{}]"


ENTRIES: tuple[EntryCase, ...] = (
    EntryCase("no event field", lambda: {b"claim": _VALID}, "missing-event-field"),
    EntryCase("event field spelled Event", lambda: {b"Event": _VALID}, "missing-event-field"),
    EntryCase("a field named data (FastStream's old envelope name)", lambda: {b"data": _VALID}, "missing-event-field"),
    EntryCase("5 MiB field, no event field", lambda: {b"blob": b"b" * (5 * MIB)}, "missing-event-field"),
    EntryCase("empty event field", lambda: {b"event": b""}, "not-json"),
    EntryCase("extra stream fields beside a good event", lambda: {b"event": _VALID, b"trace": b"abc", b"\xff": b"\xfe"}, None),
    EntryCase("FastStream binary envelope, good event", lambda: {b"__data__": faststream_binary(_VALID, {"content-type": "json"})},
              None),
    EntryCase("FastStream binary envelope, garbage body", lambda: {b"__data__": faststream_binary(b"\x00garbage{", {"k": "v"})},
              "not-json"),
    EntryCase("FastStream binary envelope, non-UTF-8 body", lambda: {b"__data__": faststream_binary(b"\xff\xfe\xfd")}, "invalid-utf8"),
    EntryCase("FastStream binary envelope, header offsets past the end",
              lambda: {b"__data__": FASTSTREAM_MAGIC + struct.pack(">HIIH", 1, 999_999, 999_999, 9)}, "invalid-utf8"),
    EntryCase("FastStream magic only", lambda: {b"__data__": FASTSTREAM_MAGIC}, "invalid-utf8"),
    EntryCase("FastStream binary envelope, 5 MiB body", lambda: {b"__data__": faststream_binary(b"x" * (5 * MIB))}, "oversize"),
    EntryCase("FastStream envelope as JSON, garbage data", lambda: {b"__data__": b'{"data": "not json", "headers": {}}'}, "not-json"),
    EntryCase("FastStream envelope as JSON, data not a string", lambda: {b"__data__": b'{"data": 5}'}, "schema"),
    EntryCase("FastStream envelope, 100,000 [", lambda: {b"__data__": b"[" * 100_000}, "schema"),
    EntryCase("FastStream envelope, 5 MiB of JSON objects", lambda: {b"__data__": _legacy_envelope_of_many_objects(5 * MIB)}, "oversize"),
    EntryCase("both event and FastStream fields: event wins", lambda: {b"event": _VALID, b"__data__": b"garbage"}, None),
)
