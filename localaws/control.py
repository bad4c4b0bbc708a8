"""The /_localaws/ control endpoints: seed, reset, and read state back.

They never count as AWS calls, so tests can inspect state without
disturbing the call log they assert on.
"""

import base64
import json
from urllib.parse import parse_qs

from moto.core.exceptions import ServiceException

from . import motostate
from .calls import read_body
from .defaults import DEFAULT_ACCOUNT, REGION

PREFIX = "/_localaws/"


def reply(status, payload):
    body = json.dumps(payload).encode("utf-8")
    return status, [("Content-Type", "application/json")], body


def handle(app, environ):
    method = environ.get("REQUEST_METHOD", "GET")
    route = environ.get("PATH_INFO", "")[len(PREFIX):].rstrip("/")
    query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    account = query.get("account", DEFAULT_ACCOUNT)

    if (method, route) == ("GET", "calls"):
        return reply(200, {"calls": app.calls.list()})
    if (method, route) == ("POST", "calls/reset"):
        app.calls.reset()
        return reply(200, {"ok": True})
    if (method, route) == ("POST", "seed"):
        try:
            app.seed(json.loads(read_body(environ) or b"{}"))
        # ServiceException: what moto refuses, e.g. a third key for one user
        except (ValueError, KeyError, TypeError, AttributeError, ServiceException) as err:
            return reply(400, {"error": f"bad seed document: {err!r}"})
        return reply(200, {"ok": True})
    if (method, route) == ("POST", "reset"):
        app.reset()
        return reply(200, {"ok": True})
    if (method, route) == ("GET", "keys"):
        return reply(200, {"keys": motostate.keys(account)})
    if method == "GET" and route.startswith("queue/"):
        name = route[len("queue/"):]
        region = query.get("region", REGION)
        try:
            return reply(200, {"messages": motostate.queue_messages(name, account, region)})
        except KeyError:
            return reply(404, {"error": f"no queue {name} in {account}/{region}"})
    if method == "GET" and route.startswith("lambda/") and route.endswith("/code"):
        name = route[len("lambda/"):-len("/code")]
        region = query.get("region", REGION)
        try:
            code = motostate.lambda_code(name, account, region)
        except KeyError:
            return reply(404, {"error": f"no function {name} in {account}/{region}"})
        return reply(200, {"zip": base64.b64encode(code).decode("ascii")})
    return reply(404, {"error": f"no control endpoint {method} {route}"})
