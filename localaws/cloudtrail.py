"""CloudTrail LookupEvents, which moto lacks, from events seeded per account and region.

Answers like AWS: newest events first, StartTime/EndTime inclusive, one lookup
attribute at most, MaxResults 1-50 (default 50) with an opaque NextToken, and
the event record as a JSON string in CloudTrailEvent. Errors are injected per
account and region, like Trusted Advisor's per account.
"""

import base64
import copy
import datetime
import hashlib
import json
import threading
import uuid

from .trustedadvisor import error_response, json_response, take_error

TARGET_PREFIX = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."
OPERATION = "LookupEvents"
PAGE_SIZE = 50
# The AWS documentation's example IAM user id.
PRINCIPAL_ID = "AIDACKCEVSQ6C2EXAMPLE"
# Lookup attribute -> the response member it matches (ResourceType/Name match Resources).
ATTRIBUTES = ("EventId", "EventName", "ReadOnly", "Username", "EventSource", "AccessKeyId")
RESOURCE_ATTRIBUTES = {"ResourceType": "ResourceType", "ResourceName": "ResourceName"}
REQUIRED = ("EventName", "EventSource", "EventTime")


def parse_time(value, what):
    """A datetime from an ISO 8601 string (seed) or epoch seconds (botocore's JSON protocol)."""
    try:
        if isinstance(value, (int, float)):
            return datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
        moment = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except (TypeError, ValueError, OverflowError, OSError):
        raise ValueError(f"{what}: not a time: {value!r}") from None
    if moment.tzinfo is None:
        raise ValueError(f"{what}: time needs a zone (end it with Z): {value!r}")
    return moment.astimezone(datetime.timezone.utc)


def stable_uuid(*parts):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, json.dumps(parts, sort_keys=True, default=str)))


def build_event(account, region, spec):
    """A seeded event as (time, the LookupEvents Events[] member)."""
    missing = [name for name in REQUIRED if not spec.get(name)]
    if missing:
        raise ValueError(f"cloudtrail event in {account}/{region} lacks {missing}: {spec!r}")
    moment = parse_time(spec["EventTime"], f"cloudtrail event {spec['EventName']}")
    event_id = spec.get("EventId") or stable_uuid(account, region, spec)
    user = spec.get("Username")
    read_only = bool(spec.get("ReadOnly", False))
    record = {
        "eventVersion": "1.08",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": PRINCIPAL_ID,
            "arn": f"arn:aws:iam::{account}:user/{user}" if user else None,
            "accountId": account,
            "accessKeyId": spec.get("AccessKeyId"),
            "userName": user,
        },
        "eventTime": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": spec["EventSource"],
        "eventName": spec["EventName"],
        "awsRegion": region,
        "sourceIPAddress": spec.get("SourceIPAddress"),
        "userAgent": spec.get("UserAgent", "aws-cli/2.15.0"),
        "requestParameters": None,
        "responseElements": None,
        "requestID": stable_uuid("request", event_id),
        "eventID": event_id,
        "readOnly": read_only,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
    }
    event = {
        "EventId": event_id,
        "EventName": spec["EventName"],
        "ReadOnly": "true" if read_only else "false",
        "EventTime": moment.timestamp(),
        "EventSource": spec["EventSource"],
        "Resources": [
            {k: r[k] for k in ("ResourceType", "ResourceName") if k in r}
            for r in spec.get("Resources") or []
        ],
        "CloudTrailEvent": json.dumps(record),
    }
    for name in ("AccessKeyId", "Username"):
        if spec.get(name):
            event[name] = spec[name]
    return moment, event


def matches(event, attribute):
    key, value = attribute["AttributeKey"], attribute["AttributeValue"]
    if key in RESOURCE_ATTRIBUTES:
        return any(r.get(RESOURCE_ATTRIBUTES[key]) == value for r in event["Resources"])
    return event.get(key) == value


def token_for(query, offset):
    payload = json.dumps({"q": query, "o": offset}).encode("utf-8")
    return base64.urlsafe_b64encode(payload).decode("ascii")


def offset_of(token, query):
    """The offset a NextToken stands for, or None if it is not one of ours for this query."""
    try:
        payload = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
        offset = payload["o"]
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return offset if payload.get("q") == query and isinstance(offset, int) and offset > 0 else None


def lookup(events, params):
    """The LookupEvents response over one region's (time, event) list, newest first."""
    attributes = params.get("LookupAttributes") or []
    if len(attributes) > 1:
        return error_response("InvalidLookupAttributesException",
                              "You can only specify one lookup attribute.")
    for attribute in attributes:
        if attribute.get("AttributeKey") not in ATTRIBUTES + tuple(RESOURCE_ATTRIBUTES):
            return error_response("InvalidLookupAttributesException",
                                  f"Invalid AttributeKey: {attribute.get('AttributeKey')}")
    try:
        start = parse_time(params["StartTime"], "StartTime") if "StartTime" in params else None
        end = parse_time(params["EndTime"], "EndTime") if "EndTime" in params else None
    except ValueError as err:
        return error_response("InvalidTimeRangeException", str(err))
    if start and end and start > end:
        return error_response("InvalidTimeRangeException",
                              "Start time must be before or equal to end time.")
    size = params.get("MaxResults", PAGE_SIZE)
    if not isinstance(size, int) or not 1 <= size <= PAGE_SIZE:
        return error_response("InvalidMaxResultsException",
                              f"MaxResults must be between 1 and {PAGE_SIZE}.")
    selected = [
        event for moment, event in events
        if (start is None or moment >= start) and (end is None or moment <= end)
        and all(matches(event, a) for a in attributes)
    ]
    query = hashlib.sha256(json.dumps(
        [attributes, params.get("StartTime"), params.get("EndTime")], sort_keys=True,
    ).encode("utf-8")).hexdigest()[:16]
    offset = 0
    if params.get("NextToken") is not None:
        offset = offset_of(params["NextToken"], query)
        if offset is None:
            return error_response("InvalidNextTokenException", "Invalid NextToken.")
    page = {"Events": selected[offset:offset + size]}
    if offset + size < len(selected):
        page["NextToken"] = token_for(query, offset + size)
    return json_response(200, page)


def validate_region(account, region, spec):
    if not isinstance(spec, dict):
        raise ValueError(f"cloudtrail {account}/{region} must be an object")
    for operation, error in (spec.get("errors") or {}).items():
        if not isinstance(error, dict) or not error.get("code"):
            raise ValueError(f"cloudtrail error for {operation} in {account}/{region} needs a code")


class CloudTrail:
    """Per-account, per-region event history; safe to use from the server's threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self._events = {}   # (account, region) -> [(time, event)], newest first
        self._errors = {}   # (account, region) -> {operation: spec}

    def seed(self, doc):
        """Replace the events and errors of each account and region the document names."""
        staged = {}
        for account, spec in (doc.get("accounts") or {}).items():
            for region, state in ((spec or {}).get("cloudtrail") or {}).items():
                validate_region(account, region, state)
                events = [build_event(account, region, e) for e in state.get("events") or []]
                events.sort(key=lambda pair: (pair[0], pair[1]["EventId"]), reverse=True)
                errors = {op: dict(e) for op, e in (state.get("errors") or {}).items()}
                staged[(account, region)] = (events, copy.deepcopy(errors))
        with self._lock:
            for key, (events, errors) in staged.items():
                self._events[key] = events
                self._errors[key] = errors

    def reset(self):
        with self._lock:
            self._events.clear()
            self._errors.clear()

    def _take_error(self, key, operation):
        with self._lock:
            return take_error(self._errors.get(key, {}), operation)

    def handle(self, operation, account, region, params):
        """A response for LookupEvents, or None to let moto answer the operation."""
        if operation != OPERATION:
            return None
        failure = self._take_error((account, region), operation)
        if failure:
            return failure
        with self._lock:
            events = list(self._events.get((account, region), ()))
        return lookup(events, params)
