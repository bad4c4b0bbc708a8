"""Which AWS call a request is, and a thread-safe log of them."""

import io
import os
import threading
from urllib.parse import parse_qs

from moto.core.responses import BaseResponse
from moto.iam.models import get_account_id_from

FORM_TYPE = "application/x-www-form-urlencoded"


def read_body(environ):
    """Read the request body and put it back so moto can read it again."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def service_of(environ):
    """The signing name from the SigV4 credential scope, e.g. `iam`."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    try:
        scope = auth.split(",")[0].split()[1]
        return scope.split("/")[3].lower()
    except IndexError:
        return None


def region_of(environ):
    """The region from the SigV4 credential scope, e.g. `us-west-2`."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    try:
        return auth.split(",")[0].split()[1].split("/")[2]
    except IndexError:
        return None


def operation_of(environ):
    """X-Amz-Target for JSON protocols, else the query protocol's Action."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.rsplit(".", 1)[-1]
    params = parse_qs(environ.get("QUERY_STRING", ""))
    if environ.get("CONTENT_TYPE", "").startswith(FORM_TYPE):
        params.update(parse_qs(read_body(environ).decode("utf-8", "replace")))
    action = params.get("Action")
    return action[0] if action else None


def account_of(environ):
    """The account moto will serve this request from, by moto's own rules."""
    if "MOTO_ACCOUNT_ID" in os.environ:
        return os.environ["MOTO_ACCOUNT_ID"]
    if environ.get("HTTP_X_MOTO_ACCOUNT_ID"):
        return environ["HTTP_X_MOTO_ACCOUNT_ID"]
    match = BaseResponse.access_key_regex.search(environ.get("HTTP_AUTHORIZATION", ""))
    # moto falls back to this placeholder when a request carries no key
    return get_account_id_from(match.group(1) if match else "AKIAEXAMPLE")


def describe(environ):
    return {
        "service": service_of(environ),
        "operation": operation_of(environ),
        "account": account_of(environ),
    }


class CallLog:
    def __init__(self):
        self._lock = threading.Lock()
        self._calls = []

    def add(self, call):
        with self._lock:
            self._calls.append(call)

    def list(self):
        with self._lock:
            return list(self._calls)

    def reset(self):
        with self._lock:
            self._calls.clear()
