"""moto's server behind a WSGI wrapper that logs calls and answers Trusted Advisor and
CloudTrail LookupEvents."""

import http
import ipaddress
import json
import signal
import threading

from moto.moto_api._internal.models import moto_api_backend
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from . import cloudtrail, control, longpoll, motostate
from .calls import CallLog, describe, read_body, region_of
from .defaults import REGION
from .trustedadvisor import TARGET_PREFIX, TrustedAdvisor


class LocalAWSApp:
    def __init__(self):
        self.moto = DomainDispatcherApplication(create_backend_app)
        self.calls = CallLog()
        self.trusted_advisor = TrustedAdvisor()
        self.cloudtrail = cloudtrail.CloudTrail()

    def seed(self, doc):
        # CloudTrail first: it checks the whole document before changing anything.
        self.cloudtrail.seed(doc)
        motostate.apply(doc, self.trusted_advisor)

    def reset(self):
        moto_api_backend.reset()
        self.trusted_advisor.reset()
        self.cloudtrail.reset()
        self.calls.reset()

    def support(self, environ, call):
        try:
            params = json.loads(read_body(environ) or b"{}")
        except ValueError:
            return None  # moto answers malformed bodies its own way
        return self.trusted_advisor.handle(call["operation"], call["account"], params)

    def lookup_events(self, environ, call):
        try:
            params = json.loads(read_body(environ) or b"{}")
        except ValueError:
            return None
        region = region_of(environ) or REGION
        return self.cloudtrail.handle(call["operation"], call["account"], region, params)

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith(control.PREFIX):
            return send(start_response, control.handle(self, environ))
        if path.startswith("/moto-api"):
            return self.moto(environ, start_response)
        call = describe(environ)
        self.calls.add(call)
        if (call["service"], call["operation"]) == ("sqs", "ReceiveMessage"):
            longpoll.shorten(environ)
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith(TARGET_PREFIX):
            response = self.support(environ, call)
            if response is not None:
                return send(start_response, response)
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith(cloudtrail.TARGET_PREFIX):
            response = self.lookup_events(environ, call)
            if response is not None:
                return send(start_response, response)
        return self.moto(environ, start_response)


def send(start_response, response):
    status, headers, body = response
    start_response(
        f"{status} {http.HTTPStatus(status).phrase}",
        headers + [("Content-Length", str(len(body)))],
    )
    return [body]


class QuietRequestHandler(MotoRequestHandler):
    """Skips the per-request access log line; errors are still logged."""

    def log_request(self, code="-", size="-"):
        pass


def check_loopback(host):
    if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"localaws binds loopback addresses only, not {host}")


def serve(host="127.0.0.1", port=0, scenario=None, verbose=False):
    """Serve until SIGTERM or SIGINT; print one READY line once listening."""
    from .seed import SCENARIOS

    check_loopback(host)
    app = LocalAWSApp()
    if scenario:
        app.seed(SCENARIOS[scenario]())
    handler = MotoRequestHandler if verbose else QuietRequestHandler
    server = make_server(host, port, app, threaded=True, request_handler=handler)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    # A short poll interval makes shutdown on a signal quick.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="localaws", daemon=True
    )
    thread.start()
    print(f"READY http://{host}:{server.server_port}", flush=True)
    stop.wait()
    server.shutdown()
    server.server_close()
