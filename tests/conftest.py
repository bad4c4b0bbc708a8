"""Test wiring: the strict placebo fixture lives in pill.py."""
import pytest

import pill


def pytest_addoption(parser):
    parser.addoption(
        "--record", action="store_true", default=False,
        help="record flight data from a local AWS instead of replaying it")


@pytest.fixture(scope="session")
def local_aws():
    # Only requested in record mode, so playback never starts a server.
    from localaws import LocalAWS
    with LocalAWS() as aws:
        yield aws


@pytest.fixture
def placebo_flight(request, monkeypatch, tmp_path):
    """``flight = placebo_flight('test_name', seed={...})``; see pill.py."""
    yield from pill.flight_fixture(request, monkeypatch, tmp_path)
