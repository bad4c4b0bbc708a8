"""Test wiring: the strict placebo fixture lives in pill.py; end-to-end tests share a local AWS."""
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


@pytest.fixture(scope="module")
def aws():
    """One local AWS server per test module."""
    from localaws import LocalAWS  # imported late: test_pill stands in its own localaws
    with LocalAWS() as aws:
        yield aws


@pytest.fixture
def demo(aws, tmp_path):
    """A freshly seeded demo account, a fresh HOME and a vars file."""
    from localaws import seed
    aws.reset()
    aws.seed(seed.demo())
    vars_file = tmp_path / "vars.yml"
    vars_file.write_text("security_email: security@example.com\n")
    return tmp_path, vars_file
