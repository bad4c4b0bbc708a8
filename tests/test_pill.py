"""The strict placebo harness must be able to fail, not only to pass."""
import datetime
import sys
import types
import urllib.request

import boto3
import pytest
from botocore.exceptions import ClientError

import pill

pytest_plugins = ["pytester"]
CONFTEST = pill.PLACEBO_DIR.parents[1] / "conftest.py"


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    # Tests that build a Flight directly get the fixture's fake credentials too.
    pill.isolate_environment(monkeypatch, str(tmp_path))


def flight(name):
    return pill.Flight(pill.PLACEBO_DIR / name)


def test_playback_returns_recorded_data_with_datetimes(placebo_flight):
    f = placebo_flight("pill_playback")
    keys = f.session_factory().client("iam").list_access_keys(UserName="alice")

    [key] = keys["AccessKeyMetadata"]
    assert key["AccessKeyId"] == "AKIAIOSFODNN7EXAMPLE"
    assert key["CreateDate"] == datetime.datetime(2024, 1, 15, 9, 30, tzinfo=datetime.timezone.utc)
    assert f.calls == [("iam", "ListAccessKeys", {"UserName": "alice"})]


def test_responses_are_consumed_in_order_across_sessions(placebo_flight):
    f = placebo_flight("pill_sequence")
    factory = f.session_factory
    first = factory().client("iam")
    # c7n also asks for sessions by region; they share the same queue.
    second = factory(region="us-west-2", assume=False).client("iam")

    before = first.list_access_keys(UserName="alice")["AccessKeyMetadata"][0]["Status"]
    second.update_access_key(UserName="alice", AccessKeyId="AKIAIOSFODNN7EXAMPLE",
                             Status="Inactive")
    after = second.list_access_keys(UserName="alice")["AccessKeyMetadata"][0]["Status"]

    assert (before, after) == ("Active", "Inactive")
    assert [(s, op) for s, op, _ in f.calls] == [
        ("iam", "ListAccessKeys"), ("iam", "UpdateAccessKey"), ("iam", "ListAccessKeys")]
    assert f.calls[1][2] == {"UserName": "alice", "AccessKeyId": "AKIAIOSFODNN7EXAMPLE",
                             "Status": "Inactive"}
    assert not any(op == "DeleteAccessKey" for _, op, _ in f.calls)


def test_error_file_raises_client_error(placebo_flight):
    client = placebo_flight("pill_error").session_factory().client("iam")
    with pytest.raises(ClientError) as err:
        client.update_access_key(UserName="bob", AccessKeyId="AKIAIOSFODNN7EXAMPLE",
                                 Status="Inactive")
    assert err.value.response["Error"]["Code"] == "NoSuchEntity"


def test_missing_response_names_the_file():
    f = flight("pill_playback")
    client = f.session_factory().client("iam")
    client.list_access_keys(UserName="alice")

    # Plain placebo would wrap around to _1 here.
    with pytest.raises(pill.FlightDataError, match=r"iam\.ListAccessKeys_2\.json"):
        client.list_access_keys(UserName="alice")
    # ...and it stays on the record even if the code under test swallowed it.
    [problem] = f.problems()
    assert "iam.ListAccessKeys_2.json does not exist" in problem


def test_unused_response_is_reported():
    f = flight("pill_sequence")
    f.session_factory().client("iam").list_access_keys(UserName="alice")

    problems = f.problems()
    assert len(problems) == 2
    assert "never used" in problems[0] and problems[0].endswith("iam.ListAccessKeys_2.json")
    assert problems[1].endswith("iam.UpdateAccessKey_1.json")


def test_missing_flight_folder_fails():
    with pytest.raises(pill.FlightDataError, match="pill_no_such_test"):
        flight("pill_no_such_test")


def test_fixture_fails_at_teardown_even_if_the_error_is_swallowed(pytester):
    # Run the real conftest in a child session: both tests pass their body and
    # must still error at teardown.
    pytester.makeconftest(CONFTEST.read_text())
    pytester.makepyfile("""
        def test_swallows_missing(placebo_flight):
            client = placebo_flight('pill_playback').session_factory().client('iam')
            for _ in range(2):
                try:
                    client.list_access_keys(UserName='alice')
                except Exception:
                    pass

        def test_leaves_unused(placebo_flight):
            placebo_flight('pill_playback')
    """)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=2)
    result.stdout.fnmatch_lines([
        "*ERROR at teardown of test_swallows_missing*",
        "*iam.ListAccessKeys_2.json does not exist*",
        "*ERROR at teardown of test_leaves_unused*",
        "*recorded response never used*pill_playback/iam.ListAccessKeys_1.json*",
    ])


class StandInLocalAWS:
    """Just enough of localaws.LocalAWS for record mode, on moto's threaded server."""

    creds = {"AWS_ACCESS_KEY_ID": "AKIAI44QH8DHBEXAMPLE",
             "AWS_SECRET_ACCESS_KEY": "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"}

    def __enter__(self):
        from moto.server import ThreadedMotoServer
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.server.start()
        self.endpoint = "http://127.0.0.1:%d" % self.server.get_host_and_port()[1]
        return self

    def __exit__(self, *exc):
        self.server.stop()

    def env(self, home):
        return dict(self.creds, AWS_ENDPOINT_URL=self.endpoint, HOME=home,
                    AWS_DEFAULT_REGION="us-east-1")

    def reset(self):
        urllib.request.urlopen(urllib.request.Request(
            self.endpoint + "/moto-api/reset", method="POST")).close()

    def seed(self, data):
        iam = boto3.client("iam", endpoint_url=self.endpoint, region_name="us-east-1",
                           aws_access_key_id=self.creds["AWS_ACCESS_KEY_ID"],
                           aws_secret_access_key=self.creds["AWS_SECRET_ACCESS_KEY"])
        for user in data.get("users", ()):
            iam.create_user(UserName=user)


def test_record_mode_writes_scrubbed_placebo_files(pytester, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "localaws", types.SimpleNamespace(LocalAWS=StandInLocalAWS))
    monkeypatch.setattr(pill, "PLACEBO_DIR", tmp_path)
    folder = tmp_path / "pill_record"
    folder.mkdir()
    (folder / "iam.ListUsers_1.json").write_text("{}")  # stale: must be deleted
    pytester.makeconftest(CONFTEST.read_text())
    pytester.makepyfile("""
        def test_records(placebo_flight):
            f = placebo_flight('pill_record', seed={'users': ['alice']})
            iam = f.session_factory().client('iam')
            iam.create_access_key(UserName='alice')
            try:
                iam.get_user(UserName='bob')
            except iam.exceptions.NoSuchEntityException:
                pass
    """)
    pytester.runpytest_inprocess("--record", "-p", "no:cacheprovider").assert_outcomes(passed=1)

    assert sorted(p.name for p in folder.iterdir()) == [
        "iam.CreateAccessKey_1.json", "iam.GetUser_1.json"]
    text = (folder / "iam.CreateAccessKey_1.json").read_text()
    assert '"SecretAccessKey": "%s"' % pill.EXAMPLE_SECRET in text

    # What was recorded plays back, strictly.
    replay = pill.Flight(folder)
    iam = replay.session_factory().client("iam")
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    assert key["UserName"] == "alice" and key["SecretAccessKey"] == pill.EXAMPLE_SECRET
    with pytest.raises(ClientError) as err:
        iam.get_user(UserName="bob")
    assert err.value.response == {"Error": {
        "Type": "Sender", "Code": "NoSuchEntity",
        "Message": "The user with name bob cannot be found."}, "ResponseMetadata": {}}
    assert replay.problems() == []
