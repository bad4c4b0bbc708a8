"""A strict placebo harness for c7n-style tests.

Flight data lives in ``tests/data/placebo/<test_name>/<service>.<Operation>_<n>.json``
in placebo's own format. Unlike plain placebo, playback here never wraps
around to ``_1``: a call with no recorded response is an error, and so is a
recorded response that no call used. Both are remembered and reported when
the flight is verified at teardown, so code under test that swallows the
exception cannot hide them.

With ``pytest --record`` the same flight talks to the local AWS instead and
writes what it sees, with secrets scrubbed to the AWS documentation examples.
"""
import contextlib
import copy
import io
import os
import shutil
import threading
from pathlib import Path

import boto3
import pytest
from placebo.pill import FakeHttpResponse
from placebo.serializer import Format, get_deserializer, get_serializer

PLACEBO_DIR = Path(__file__).resolve().parent / "data" / "placebo"
DEFAULT_REGION = "us-east-1"

# AWS documentation example values: the only credentials flight data may hold.
EXAMPLE_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
EXAMPLE_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
EXAMPLE_SESSION_TOKEN = "AQoDYXdzEJr...<remainder of session token>"
ERROR_MEMBERS = ("Type", "Code", "Message")
SCRUBBED = {"SecretAccessKey": EXAMPLE_SECRET, "SessionToken": EXAMPLE_SESSION_TOKEN}

# Keys of the environment that could point boto3 at a real account or endpoint.
_AWS_ENV = (
    "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)


class FlightDataError(AssertionError):
    """Raised inside the botocore call when no recorded response is left."""


def _scrub(value):
    """Copy of a parsed response with secret values replaced by the examples."""
    if isinstance(value, dict):
        return {k: SCRUBBED[k] if k in SCRUBBED and isinstance(v, str) else _scrub(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


class FlightSessionFactory:
    """What c7n expects of a session factory: ``factory(region=..., assume=...)``.

    c7n sets ``region``, ``assume_role`` and ``policy_name`` on it, and
    ``c7n.utils.local_session`` keys its cache on ``region``, so that must be a
    string. Every session it makes is attached to the same flight.
    """

    def __init__(self, flight, region=DEFAULT_REGION):
        self.flight = flight
        self.region = region
        self.assume_role = None
        self.policy_name = None

    def __call__(self, assume=None, region=None):
        return self.flight.new_session(region or self.region)


class Flight:
    """One test's recorded (or recording) conversation with AWS.

    ``calls`` lists ``(service, operation, params)`` in call order, where
    service is the boto3 client name and params are the caller's arguments.
    """

    def __init__(self, data_dir, record=False):
        self.data_dir = Path(data_dir)
        self.record = record
        self.calls = []
        self._next = {}        # "<prefix>.<Operation>" -> next index, shared by all sessions
        self._used = set()     # file names consumed in playback
        self._violations = []  # problems seen during calls, reported again by problems()
        self._lock = threading.Lock()  # c7n fans some work out to threads
        if record:
            if self.data_dir.exists():
                shutil.rmtree(self.data_dir)
            self.data_dir.mkdir(parents=True)
        elif not self.data_dir.is_dir():
            raise FlightDataError(f"no flight data folder {self.data_dir}")
        self.session_factory = FlightSessionFactory(self)

    def new_session(self, region=DEFAULT_REGION):
        session = boto3.Session(region_name=region)
        events = session.events
        events.register("before-parameter-build.*.*", self._remember_params)
        events.register("before-call.*.*", self._before_call)
        if self.record:
            events.register("after-call.*.*", self._after_call)
        return session

    def problems(self):
        """Everything wrong with this flight so far, as readable lines."""
        found = list(self._violations)
        if not self.record:
            unused = sorted(p.name for p in self.data_dir.glob("*.json")
                            if p.name not in self._used)
            found += [f"recorded response never used: {self.data_dir / n}" for n in unused]
        return found

    # botocore event handlers

    def _remember_params(self, params, context, **kwargs):
        # The caller's own arguments; before-call only sees the serialized request.
        context["placebo_flight_params"] = copy.deepcopy(params)

    def _before_call(self, model, context, **kwargs):
        service = model.service_model.service_name
        self.calls.append((service, model.name, context.get("placebo_flight_params", {})))
        if self.record:
            return None
        with self._lock:
            name = self._next_file_name(model)
            path = self.data_dir / name
            if not path.exists():
                message = (f"no recorded response for call {service}.{model.name}: "
                           f"{path} does not exist")
                self._violations.append(message)
                raise FlightDataError(message)
            self._used.add(name)
        with open(path, Format.read_mode(Format.JSON)) as fp:
            response = get_deserializer(Format.JSON)(fp)
        return FakeHttpResponse(response["status_code"]), response["data"]

    def _after_call(self, http_response, parsed, model, **kwargs):
        data = _scrub(parsed)
        # Request ids and dates would change on every recording.
        data["ResponseMetadata"] = {}
        if http_response.status_code >= 400:
            # botocore copies modeled error members (e.g. "message") to the top
            # level and moto adds a lowercase <message> to Error; flight data
            # keeps the members every AWS error has.
            error = data.get("Error", {})
            data = {"Error": {k: error[k] for k in ERROR_MEMBERS if k in error},
                    "ResponseMetadata": {}}
        with self._lock:
            path = self.data_dir / self._next_file_name(model)
        with open(path, Format.write_mode(Format.JSON)) as fp, \
                contextlib.redirect_stdout(io.StringIO()):
            # placebo 0.10.0's serializer prints every object it converts.
            get_serializer(Format.JSON)(
                {"status_code": http_response.status_code, "data": data}, fp)

    def _next_file_name(self, model):
        # placebo names files by the endpoint prefix, not the client name.
        base = f"{model.service_model.endpoint_prefix}.{model.name}"
        index = self._next.get(base, 1)
        self._next[base] = index + 1
        return f"{base}_{index}.json"


def isolate_environment(monkeypatch, home):
    """Fake credentials and no profile or endpoint, whatever the developer has set."""
    for key in _AWS_ENV:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", EXAMPLE_ACCESS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", EXAMPLE_SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", DEFAULT_REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.path.join(home, "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.path.join(home, "aws-credentials"))


def flight_fixture(request, monkeypatch, tmp_path):
    """Body of the ``placebo_flight`` fixture (a generator: yield from it)."""
    from c7n.utils import reset_session_cache

    record = request.config.getoption("record")
    isolate_environment(monkeypatch, str(tmp_path))
    flights = []

    def start(test_name, seed=None):
        if record:
            aws = request.getfixturevalue("local_aws")
            aws.reset()
            if seed:
                aws.seed(seed)
            for key, value in aws.env(str(tmp_path)).items():
                monkeypatch.setenv(key, value)
        # c7n caches sessions per thread for 45 minutes: never reuse another test's.
        reset_session_cache()
        flight = Flight(PLACEBO_DIR / test_name, record=record)
        flights.append(flight)
        return flight

    yield start
    reset_session_cache()
    problems = [p for f in flights for p in f.problems()]
    if problems:
        pytest.fail("flight data mismatch:\n  " + "\n  ".join(problems), pytrace=False)
