"""Every flight-data file has the shape botocore would have returned.

Placebo returns whatever a file holds, so a hand-edited or stale file can make
a test pass against a response AWS never sends. One test case per file, so a
failure names the file.
"""
import datetime
import functools
import json
import re

import botocore.session
import pytest
from botocore.validate import ParamValidator
from placebo.serializer import Format, get_deserializer

import pill

FILE_NAME = re.compile(r"^(?P<prefix>[a-z0-9.-]+)\.(?P<operation>[A-Za-z0-9]+)_(?P<index>[1-9]\d*)\.json$")
# A standalone 40-character base64 run with both cases and a digit or symbol:
# the shape of an AWS secret access key. Not part of a longer run, a host name
# or a file name, so hex digests and documentation URLs in Trusted Advisor
# descriptions do not match.
SECRET_LIKE = re.compile(r"(?<![A-Za-z0-9+/.:_-])[A-Za-z0-9+/]{40}(?![A-Za-z0-9+/=._-])")

FILES = sorted(pill.PLACEBO_DIR.glob("**/*.json"))


def looks_secret(token):
    return (re.search("[a-z]", token) and re.search("[A-Z]", token)
            and re.search(r"[0-9+/]", token))


@functools.lru_cache(maxsize=None)
def botocore_session():
    return botocore.session.get_session()


@functools.lru_cache(maxsize=None)
def endpoint_prefixes():
    endpoints = botocore_session().get_component("data_loader").load_data("endpoints")
    return {name for partition in endpoints["partitions"] for name in partition["services"]}


@functools.lru_cache(maxsize=None)
def service_models(prefix):
    """Service models a placebo file prefix can mean.

    placebo names files by the service's endpoint prefix, which is usually but
    not always the boto3 client name (cloudwatch's files are "monitoring.*").
    Loading every service model takes seconds, so that search only runs for a
    prefix that is a known endpoint but not a client name.
    """
    session = botocore_session()
    available = session.get_available_services()
    if prefix in available:
        model = session.get_service_model(prefix)
        if model.endpoint_prefix == prefix:
            return [model]
    if prefix not in endpoint_prefixes():
        return []
    models = (session.get_service_model(name) for name in available)
    return [m for m in models if m.endpoint_prefix == prefix]


def operation_model(file_name):
    match = FILE_NAME.match(file_name)
    assert match, f"{file_name}: not <service>.<Operation>_<n>.json"
    prefix, operation = match["prefix"], match["operation"]
    models = service_models(prefix)
    assert models, f"{file_name}: unknown service {prefix!r}"
    for model in models:
        if operation in model.operation_names:
            return model.operation_model(operation)
    raise AssertionError(f"{file_name}: {prefix} has no operation {operation!r}")


def undecoded_timestamps(value, shape, path):
    """Paths of timestamps that are not datetimes.

    ParamValidator checks inputs, where a string or epoch number is fine; a
    response from botocore (or placebo's datetime encoding) is a datetime.
    """
    if shape.type_name == "timestamp" and not isinstance(value, datetime.datetime):
        yield path
    elif shape.type_name == "structure" and isinstance(value, dict):
        for key, member in value.items():
            if key in shape.members:
                yield from undecoded_timestamps(member, shape.members[key], f"{path}.{key}")
    elif shape.type_name == "list" and isinstance(value, list):
        for i, member in enumerate(value):
            yield from undecoded_timestamps(member, shape.member, f"{path}[{i}]")
    elif shape.type_name == "map" and isinstance(value, dict):
        for key, member in value.items():
            yield from undecoded_timestamps(member, shape.value, f"{path}.{key}")


def shape_errors(data, shape):
    """botocore's validation report for a response body, or '' if valid."""
    report = ParamValidator().validate(data, shape)
    errors = [report.generate_report()] if report.has_errors() else []
    errors += [f"Timestamp not in placebo's datetime encoding: {path}"
               for path in undecoded_timestamps(data, shape, "data")]
    return "\n".join(errors)


def check_success(data, op):
    body = {k: v for k, v in data.items() if k != "ResponseMetadata"}
    if op.output_shape is None:
        assert body == {}, f"{op.name} has no output, file holds {sorted(body)}"
        return
    errors = shape_errors(body, op.output_shape)
    assert not errors, errors


def check_error(data):
    assert set(data) - {"ResponseMetadata"} == {"Error"}, \
        f"error data must hold only Error (and ResponseMetadata), found {sorted(data)}"
    error = data["Error"]
    assert set(error) <= {"Code", "Message", "Type"}, f"unknown Error members {sorted(error)}"
    for member in ("Code", "Message"):
        assert isinstance(error.get(member), str), f"Error.{member} must be a string"


def secret_values(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "SecretAccessKey":
                yield value
            yield from secret_values(value)
    elif isinstance(node, list):
        for value in node:
            yield from secret_values(value)


def check_no_secrets(text, document):
    leaked = [v for v in secret_values(document) if v != pill.EXAMPLE_SECRET]
    assert not leaked, f"SecretAccessKey other than the AWS example: {leaked}"
    tokens = [t for t in SECRET_LIKE.findall(text)
              if looks_secret(t) and t != pill.EXAMPLE_SECRET]
    assert not tokens, f"secret-looking tokens: {tokens}"


def check_file(path):
    op = operation_model(path.name)
    text = path.read_text()
    with open(path, Format.read_mode(Format.JSON)) as fp:
        document = get_deserializer(Format.JSON)(fp)
    check_no_secrets(text, document)
    assert set(document) == {"status_code", "data"}, \
        f"top level must be status_code and data, found {sorted(document)}"
    status, data = document["status_code"], document["data"]
    assert isinstance(data, dict), "data must be an object"
    if status < 300:
        check_success(data, op)
    elif status >= 400:
        check_error(data)
    else:
        raise AssertionError(f"status {status} is neither success nor error")


def test_flight_data_was_found():
    # An empty or misplaced tree must not pass the per-file checks vacuously.
    assert pill.PLACEBO_DIR.is_dir()
    assert any(p.name.startswith("iam.") for p in FILES), FILES


@pytest.mark.parametrize(
    "path", FILES, ids=[str(p.relative_to(pill.PLACEBO_DIR)) for p in FILES])
def test_flight_file(path):
    check_file(path)


# The checks themselves must be able to fail.

KEY = {"UserName": "alice", "AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "Status": "Active",
       "CreateDate": datetime.datetime(2024, 1, 15, tzinfo=datetime.timezone.utc)}


@pytest.mark.parametrize("body, expected", [
    ({"AccessKeyMetadata": [dict(KEY, Colour="red")]}, "Unknown parameter"),
    ({"IsTruncated": False}, "Missing required parameter"),
    ({"AccessKeyMetadata": [KEY], "IsTruncated": "false"}, "Invalid type"),
    ({"AccessKeyMetadata": [dict(KEY, CreateDate="2024-01-15T00:00:00Z")]},
     "Timestamp not in placebo's datetime encoding: data.AccessKeyMetadata[0].CreateDate"),
], ids=["unknown-member", "missing-required", "wrong-type", "string-timestamp"])
def test_validator_rejects_bad_documents(body, expected):
    op = operation_model("iam.ListAccessKeys_1.json")
    assert shape_errors({"AccessKeyMetadata": [KEY]}, op.output_shape) == ""
    assert expected in shape_errors(body, op.output_shape)


def test_operation_without_output_must_be_empty():
    op = operation_model("iam.UpdateAccessKey_1.json")
    with pytest.raises(AssertionError, match="has no output"):
        check_success({"ResponseMetadata": {}, "AccessKeyId": "AKIAIOSFODNN7EXAMPLE"}, op)


@pytest.mark.parametrize("name, message", [
    ("iam.ListAccessKeys.json", "not <service>"),
    ("nosuchservice.ListThings_1.json", "unknown service"),
    ("iam.ListThings_1.json", "no operation"),
])
def test_bad_file_names_fail(name, message):
    with pytest.raises(AssertionError, match=message):
        operation_model(name)


@pytest.mark.parametrize("data", [
    {"Error": {"Code": "NoSuchEntity"}},
    {"Error": {"Code": "NoSuchEntity", "Message": "m"}, "message": "m"},
    {"Error": {"Code": "NoSuchEntity", "Message": "m", "message": "m"}},
])
def test_bad_error_documents_fail(data):
    with pytest.raises(AssertionError):
        check_error(data)


def test_secrets_are_rejected():
    fake = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"  # AWS docs' second example secret
    with pytest.raises(AssertionError, match="SecretAccessKey"):
        check_no_secrets("", {"AccessKey": {"SecretAccessKey": fake}})
    with pytest.raises(AssertionError, match="secret-looking"):
        check_no_secrets(json.dumps({"Note": fake}), {})
    check_no_secrets(json.dumps({"SecretAccessKey": pill.EXAMPLE_SECRET}),
                     {"SecretAccessKey": pill.EXAMPLE_SECRET})
    url = "https://docs.aws.amazon.com/IAM/latest/UserGuide/MFADeviceStatus.html"
    check_no_secrets(json.dumps({"description": url}), {})
