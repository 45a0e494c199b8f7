"""The AsyncAPI document: current, valid against the AsyncAPI 3.0.0 JSON Schema, and true to the contracts and the worker."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from referencing import Registry
from referencing.jsonschema import DRAFT7

from contracts.codec import decode_dead_letter, decode_event, decode_result
from contracts.json_schemas import SCHEMA_DIR
from workers.asyncapi import DOCUMENT_PATH, document, render
from workers.batch import EVENT_FIELD
from workers.cli import main
from workers.commit import COMMIT_LUA, DEAD_LETTER_FIELD, RESULT_FIELD
from workers.partitions import all_partitions

SPEC_SCHEMA_PATH = Path(__file__).parents[1] / "data" / "asyncapi" / "asyncapi-3.0.0.schema.json"
DOC_URI = "urn:test:asyncapi-document"


@pytest.fixture(scope="module")
def spec_validator() -> jsonschema.protocols.Validator:
    """The AsyncAPI 3.0.0 schema, its $id-keyed definitions resolved from the file itself (nothing is fetched)."""
    schema = json.loads(SPEC_SCHEMA_PATH.read_text())
    registry: Registry[Any] = Registry().with_resource(schema["$id"], DRAFT7.create_resource(schema)).crawl()
    validator_class = jsonschema.validators.validator_for(schema)
    assert validator_class is jsonschema.Draft7Validator  # the schema declares draft-07
    validator_class.check_schema(schema)
    return validator_class(schema, registry=registry)


@pytest.fixture(scope="module")
def committed() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DOCUMENT_PATH.read_text())
    return loaded


def errors_of(validator: jsonschema.protocols.Validator, doc: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message[:200]}" for error in validator.iter_errors(doc)]


def test_committed_document_is_current() -> None:
    assert DOCUMENT_PATH.read_text() == render(), f"{DOCUMENT_PATH} is stale: run `make schemas`"


def test_cli_prints_the_document(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["asyncapi"]) == 0
    assert json.loads(capsys.readouterr().out) == document()


def test_document_is_valid_asyncapi_3(spec_validator: jsonschema.protocols.Validator, committed: dict[str, Any]) -> None:
    assert committed["asyncapi"] == "3.0.0"
    assert errors_of(spec_validator, committed) == []


def broken_without_info(doc: dict[str, Any]) -> str:
    del doc["info"]
    return ""


def broken_address(doc: dict[str, Any]) -> str:
    doc["channels"]["claims.submitted"]["address"] = 42
    return "channels/claims.submitted"


def broken_action(doc: dict[str, Any]) -> str:
    doc["operations"]["receive-claims.submitted"]["action"] = "subscribe"  # the 2.x verb
    return "operations/receive-claims.submitted"


def broken_discriminator(doc: dict[str, Any]) -> str:
    # What msgspec emits for a tagged union (an OpenAPI discriminator object): not an AsyncAPI schema's discriminator.
    doc["components"]["schemas"]["Finding"]["properties"]["facts"]["discriminator"] = {"propertyName": "kind"}
    return "components/schemas/Finding"


def broken_parameter(doc: dict[str, Any]) -> str:
    doc["channels"]["claims.partitioned.submitted"]["parameters"]["partition"]["examples"] = "{p0.1}"  # must be a list
    return "channels/claims.partitioned.submitted"


@pytest.mark.parametrize("breakage", [broken_without_info, broken_address, broken_action, broken_discriminator, broken_parameter])
def test_a_broken_document_fails_validation(spec_validator: jsonschema.protocols.Validator, committed: dict[str, Any],
                                            breakage: Any) -> None:
    """The validation really runs, down to the channels, operations and payload schemas."""
    doc = copy.deepcopy(committed)
    where = breakage(doc)
    errors = errors_of(spec_validator, doc)
    assert errors
    assert any(error.startswith(where) for error in errors), errors


def payload_validator(doc: dict[str, Any], message: str) -> jsonschema.protocols.Validator:
    """Validates against a message's payload schema as the document states it (references into the document resolved)."""
    registry: Registry[Any] = Registry().with_resource(DOC_URI, DRAFT7.create_resource(doc))
    payload_ref = doc["components"]["messages"][message]["payload"]["$ref"]
    return jsonschema.Draft7Validator({"$ref": DOC_URI + payload_ref}, registry=registry,
                                      format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


@pytest.mark.parametrize(("message", "decode", "required"), [("ClaimSubmitted", decode_event, "claim"),
                                                             ("ClaimEdited", decode_result, "findings"),
                                                             ("DeadLetter", decode_dead_letter, "reason")])
def test_examples_are_real_messages_and_match_their_payload_schema(committed: dict[str, Any], message: str, decode: Any,
                                                                   required: str) -> None:
    validator = payload_validator(committed, message)
    examples = committed["components"]["messages"][message]["examples"]
    assert examples
    for example in examples:
        decode(json.dumps(example["payload"]).encode())  # the contracts' own decoder accepts it
        assert errors_of(validator, example["payload"]) == []
    broken = copy.deepcopy(examples[0]["payload"])
    del broken[required]
    assert any(required in error for error in errors_of(validator, broken))


@pytest.mark.parametrize(("charge", "valid"), [("1250.10", True), (1250.10, True), ("12.345", False), (-1, False), ("NaN", False)])
def test_payload_schema_reaches_nested_money(committed: dict[str, Any], charge: Any, valid: bool) -> None:
    """References inside the document resolve: a line's charge is checked three components deep."""
    payload = copy.deepcopy(committed["components"]["messages"]["ClaimSubmitted"]["examples"][0]["payload"])
    payload["claim"]["lines"][0]["charge"] = charge
    errors = errors_of(payload_validator(committed, "ClaimSubmitted"), payload)
    assert (errors == []) is valid, errors


def test_payload_schemas_are_the_committed_json_schemas(committed: dict[str, Any]) -> None:
    """The same msgspec schemas as contracts/schema/*.json, as shared components (references rewritten)."""
    components = committed["components"]["schemas"]
    for path in sorted(SCHEMA_DIR.glob("*.schema.json")):
        text = path.read_text().replace('"#/$defs/', '"#/components/schemas/')
        for name, definition in json.loads(text)["$defs"].items():
            assert strip_openapi_discriminators(definition) == components[name], f"{name} of {path.name}"


def strip_openapi_discriminators(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: strip_openapi_discriminators(value) for key, value in node.items()
                if not (key == "discriminator" and isinstance(value, dict))}
    if isinstance(node, list):
        return [strip_openapi_discriminators(item) for item in node]
    return node


def test_stream_fields_are_the_ones_the_worker_reads_and_the_commit_script_writes(committed: dict[str, Any]) -> None:
    fields = {name: message["x-redis-stream-field"] for name, message in committed["components"]["messages"].items()}
    assert fields == {"ClaimSubmitted": EVENT_FIELD.decode(), "ClaimEdited": RESULT_FIELD, "DeadLetter": DEAD_LETTER_FIELD}
    assert fields == {"ClaimSubmitted": "event", "ClaimEdited": "result", "DeadLetter": "dead_letter"}
    assert f"'XADD', KEYS[2], '*', '{RESULT_FIELD}'" in COMMIT_LUA
    assert f"'XADD', KEYS[3], '*', '{DEAD_LETTER_FIELD}'" in COMMIT_LUA


def test_channels_operations_and_consumer_group(committed: dict[str, Any]) -> None:
    channels, operations = committed["channels"], committed["operations"]
    assert {channel["address"] for channel in channels.values()} == {
        "claims.submitted", "claims.edited", "claims.deadletter",
        "claims:{partition}:submitted", "claims:{partition}:edited", "claims:{partition}:deadletter",
    }
    actions = {operation["channel"]["$ref"].removeprefix("#/channels/"): operation["action"] for operation in operations.values()}
    assert actions == {
        "claims.submitted": "receive", "claims.partitioned.submitted": "receive",
        "claims.edited": "send", "claims.partitioned.edited": "send",
        "claims.deadletter": "send", "claims.partitioned.deadletter": "send",
    }
    for key in ("claims.submitted", "claims.partitioned.submitted"):
        assert channels[key]["bindings"]["redis"]["groupName"] == "claim-edit"
        assert channels[key]["bindings"]["redis"]["method"] == "xreadgroup"


@pytest.mark.parametrize("partitions", [1, 6, 12])
def test_partition_parameter_gives_the_real_stream_names(committed: dict[str, Any], partitions: int) -> None:
    """Substituting a partition's hash tag (braces included) into each address gives that partition's streams."""
    channels = committed["channels"]
    for streams in all_partitions(partitions, "claims"):
        tag = streams.submitted[len("claims:"):-len(":submitted")]
        assert tag.startswith("{")
        assert tag.endswith("}")
        for key, name in (("submitted", streams.submitted), ("edited", streams.edited), ("deadletter", streams.deadletter)):
            assert channels[f"claims.partitioned.{key}"]["address"].replace("{partition}", tag) == name
    examples = channels["claims.partitioned.submitted"]["parameters"]["partition"]["examples"]
    six = [streams.submitted.removeprefix("claims:").removesuffix(":submitted") for streams in all_partitions(6, "claims")]
    assert examples == six[: len(examples)]
