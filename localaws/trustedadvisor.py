"""Trusted Advisor check 12Fnkpl8Y5 as the Support API serves it, per account.

moto knows the check's description but has no results; this module answers
DescribeTrustedAdvisorCheckResult from seeded rows, refuses to refresh the
check like AWS does since 2022, and injects per-account errors.
"""

import base64
import copy
import datetime
import hashlib
import json
import threading
import uuid

CHECK_ID = "12Fnkpl8Y5"
TARGET_PREFIX = "AWSSupport_20130415."
JSON_TYPE = "application/x-amz-json-1.1"
RED_STATUSES = ("error", "warning")
UNREFRESHABLE = (
    "UNREFRESHABLE_CHECK_ID_ERROR: The check with ID {} is refreshed "
    "automatically by AWS and cannot be refreshed."
)


def json_response(status, payload, extra_headers=()):
    headers = [
        ("Content-Type", JSON_TYPE),
        ("x-amzn-RequestId", str(uuid.uuid4())),
        *extra_headers,
    ]
    return status, headers, json.dumps(payload).encode("utf-8")


def error_response(code, message, status=400):
    """The JSON-protocol error botocore turns into ClientError(code, message)."""
    return json_response(
        status,
        {"__type": code, "message": message},
        [("x-amzn-ErrorType", code)],
    )


def take_error(errors, operation):
    """The error response seeded for `operation` while it should still fail, else None.

    `errors` maps operation -> spec; the caller holds the lock guarding it.
    `times` is the number of failures left; None fails forever.
    """
    spec = errors.get(operation)
    if spec is None:
        return None
    if spec.get("times") is not None:
        if spec["times"] <= 0:
            return None
        spec["times"] -= 1
    return error_response(spec["code"], spec.get("message", ""), spec.get("status", 400))


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def resource_id(row):
    """An opaque id like AWS's: stable for the same row, not the key id."""
    basis = json.dumps([row.get("region"), row.get("metadata")], sort_keys=True)
    digest = hashlib.sha256(basis.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def summarize(rows):
    suppressed = sum(1 for row in rows if row.get("isSuppressed") is True)
    flagged = sum(
        1
        for row in rows
        if row.get("status") in RED_STATUSES and row.get("isSuppressed") is not True
    )
    return {
        "resourcesProcessed": len(rows),
        "resourcesFlagged": flagged,
        "resourcesIgnored": 0,
        "resourcesSuppressed": suppressed,
    }


def overall_status(rows):
    statuses = {row.get("status") for row in rows if row.get("isSuppressed") is not True}
    for status in RED_STATUSES:
        if status in statuses:
            return status
    return "ok"


def check_result(state):
    """The `result` member of DescribeTrustedAdvisorCheckResult for one account."""
    if state is None:
        rows, status, timestamp = [], "not_available", now_iso()
    else:
        # Rows are served as seeded, malformed or not; only a missing id is filled in.
        rows = [dict(row, resourceId=row.get("resourceId") or resource_id(row)) for row in state["rows"]]
        status = state.get("status") or overall_status(rows)
        timestamp = state.get("timestamp") or now_iso()
    return {
        "checkId": CHECK_ID,
        "timestamp": timestamp,
        "status": status,
        "resourcesSummary": summarize(rows),
        "categorySpecificSummary": {
            "costOptimizing": {
                "estimatedMonthlySavings": 0.0,
                "estimatedPercentMonthlySavings": 0.0,
            }
        },
        "flaggedResources": rows,
    }


def validate_state(state):
    rows = state.get("rows") or []
    if not all(isinstance(row, dict) for row in rows):
        raise ValueError("trusted_advisor rows must be objects")
    for operation, spec in (state.get("errors") or {}).items():
        if not spec.get("code"):
            raise ValueError(f"trusted_advisor error for {operation} needs a code")


class TrustedAdvisor:
    """Per-account check state; safe to use from the server's threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self._states = {}
        self._errors = {}

    def set_state(self, account, state):
        validate_state(state)
        state = copy.deepcopy(state)
        errors = state.pop("errors", None) or {}
        state["rows"] = state.get("rows") or []
        with self._lock:
            self._states[account] = state
            self._errors[account] = {op: dict(spec) for op, spec in errors.items()}

    def reset(self):
        with self._lock:
            self._states.clear()
            self._errors.clear()

    def _take_error(self, account, operation):
        with self._lock:
            return take_error(self._errors.get(account, {}), operation)

    def handle(self, operation, account, params):
        """A response for the operation, or None to let moto answer it."""
        if operation == "DescribeTrustedAdvisorCheckResult":
            check_id = params.get("checkId")
            failure = self._take_error(account, operation)
            if failure:
                return failure
            if check_id != CHECK_ID:
                return error_response("InvalidParameterValueException", f"Unknown ID: {check_id}")
            with self._lock:
                result = check_result(self._states.get(account))
            return json_response(200, {"result": result})
        if operation == "DescribeTrustedAdvisorChecks":
            return self._take_error(account, operation)
        if operation == "RefreshTrustedAdvisorCheck" and params.get("checkId") == CHECK_ID:
            return error_response("InvalidParameterValueException", UNREFRESHABLE.format(CHECK_ID))
        return None
