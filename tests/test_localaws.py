"""The local AWS, checked through real boto3 clients against a live server."""

import datetime
import io
import json
import subprocess
import sys
import time
import zipfile

import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.validate import ParamValidator

from localaws import LocalAWS
from localaws.client import LocalAWSError
from localaws.seed import DEMO_EXPECTED, MAIN, MEMBER, bulk, demo, event

CHECK = "12Fnkpl8Y5"
OTHER = "444455556666"
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})


@pytest.fixture(scope="module")
def server():
    with LocalAWS() as aws:
        yield aws


@pytest.fixture
def aws(server):
    server.reset()
    server.seed(demo())
    return server


def seeded_keys(account):
    users = demo()["accounts"][account]["users"]
    return {key["id"]: (user["name"], key["status"]) for user in users for key in user["keys"]}


def check_result(client):
    response = client.describe_trusted_advisor_check_result(checkId=CHECK, language="en")
    response.pop("ResponseMetadata")
    return response


def assert_valid_output(data, operation):
    model = botocore.session.get_session().get_service_model("support")
    shape = model.operation_model(operation).output_shape
    report = ParamValidator().validate(data, shape)
    assert not report.has_errors(), report.generate_report()


def error_of(call, **params):
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value.response


def test_iam_shows_seeded_users_with_fixed_key_ids_and_statuses(aws):
    iam = aws.client("iam")
    names = {user["UserName"] for user in iam.list_users()["Users"]}
    assert names == {user["name"] for user in demo()["accounts"][MAIN]["users"]}
    listed = {
        key["AccessKeyId"]: (key["UserName"], key["Status"])
        for name in names
        for key in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
    }
    assert listed == seeded_keys(MAIN)
    assert listed["AKIAI44QH8DH3EXAMPLE"] == ("ci-deploy", "Inactive")
    tags = iam.list_user_tags(UserName="alice")["Tags"]
    assert tags == [{"Key": "OwnerContact", "Value": "alice@example.com"}]


def test_keys_endpoint_reads_moto_without_recording_calls(aws):
    aws.reset_calls()
    keys = {key["AccessKeyId"]: (key["UserName"], key["Status"]) for key in aws.keys()}
    assert keys == seeded_keys(MAIN)
    assert {key["AccessKeyId"] for key in aws.keys(account=MEMBER)} == set(seeded_keys(MEMBER))
    assert aws.calls() == []


def test_update_access_key_changes_what_keys_reports(aws):
    aws.client("iam").update_access_key(
        UserName="alice", AccessKeyId="AKIAIOSFODNN7EXAMPLE", Status="Inactive")
    statuses = {key["AccessKeyId"]: key["Status"] for key in aws.keys()}
    assert statuses["AKIAIOSFODNN7EXAMPLE"] == "Inactive"
    assert statuses["AKIAIOSFODNN1EXAMPLE"] == "Active"


def test_demo_expected_result_agrees_with_the_demo_data():
    for account, expected in DEMO_EXPECTED.items():
        seeded = seeded_keys(account)
        inactive, unchanged = expected["inactive"], expected["unchanged"]
        assert set(inactive).isdisjoint(unchanged)
        assert set(inactive) | set(unchanged) == set(seeded)
        assert {key: seeded[key][1] for key in unchanged} == unchanged
        assert {key: seeded[key][0] for key in inactive} == inactive
        rows = demo()["accounts"][account]["trusted_advisor"]["rows"]
        acted_on = {
            row["metadata"][0] for row in rows
            if row["status"] in ("error", "warning")
            and row["metadata"][0] in seeded
        }
        assert acted_on == set(inactive)
        assert set(expected["root"]).isdisjoint(seeded)
    assert DEMO_EXPECTED[MAIN]["root"] == ["AKIAROOTKEY01EXAMPLE"]


def test_check_result_serves_the_rows_in_botocore_shape(aws):
    data = check_result(aws.client("support"))
    assert_valid_output(data, "DescribeTrustedAdvisorCheckResult")
    result = data["result"]
    seeded_rows = demo()["accounts"][MAIN]["trusted_advisor"]["rows"]
    assert [dict(row, resourceId=None) for row in result["flaggedResources"]] == [
        dict(row, resourceId=None) for row in seeded_rows
    ]
    assert result["checkId"] == CHECK
    assert result["status"] == "error"
    assert result["timestamp"] == "2026-12-03T09:12:44Z"
    assert result["resourcesSummary"] == {
        "resourcesProcessed": 9, "resourcesFlagged": 7,
        "resourcesIgnored": 0, "resourcesSuppressed": 1,
    }
    ids = [row["resourceId"] for row in result["flaggedResources"]]
    assert len(set(ids)) == len(ids)
    assert not {row["metadata"][0] for row in seeded_rows} & set(ids)
    again = check_result(aws.client("support"))["result"]
    assert [row["resourceId"] for row in again["flaggedResources"]] == ids


def test_malformed_rows_are_served_as_given(aws):
    rows = [
        {"status": "error", "resourceId": "given-id", "metadata": ["AKIAIOSFODNN7EXAMPLE", "alice"]},
        {"status": "warning", "metadata": [None, "", "Suspected", None, "", None, None, None]},
        {"status": "error", "metadata": []},
    ]
    aws.seed({"accounts": {MAIN: {"trusted_advisor": {"status": "error", "rows": rows}}}})
    served = check_result(aws.client("support"))["result"]["flaggedResources"]
    assert served[0] == rows[0]
    assert [row["metadata"] for row in served] == [row["metadata"] for row in rows]
    assert "region" not in served[1] and "isSuppressed" not in served[1]


def test_refreshing_the_check_is_refused_like_aws(aws):
    support = aws.client("support")
    error = error_of(support.refresh_trusted_advisor_check, checkId=CHECK)["Error"]
    assert error["Code"] == "InvalidParameterValueException"
    assert "UNREFRESHABLE_CHECK_ID_ERROR" in error["Message"]
    status = support.refresh_trusted_advisor_check(checkId="Qch7DwouX1")["status"]
    assert status["checkId"] == "Qch7DwouX1"


def test_unknown_check_id_is_an_invalid_parameter(aws):
    support = aws.client("support")
    response = error_of(support.describe_trusted_advisor_check_result, checkId="nope00000")
    assert response["Error"] == {"Code": "InvalidParameterValueException", "Message": "Unknown ID: nope00000"}
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_describe_checks_lists_the_check_with_its_headings(aws):
    checks = aws.client("support").describe_trusted_advisor_checks(language="en")["checks"]
    check = next(check for check in checks if check["id"] == CHECK)
    assert check["metadata"] == [
        "Access Key ID", "User Name (IAM or Root)", "Fraud Type", "Case ID",
        "Time Updated", "Location", "Deadline", "Usage (USD per Day)",
    ]


def test_account_without_check_state_reports_not_available(aws):
    aws.seed({"accounts": {OTHER: {"users": [{"name": "zed"}]}}})
    data = check_result(aws.client("support", account=OTHER))
    assert_valid_output(data, "DescribeTrustedAdvisorCheckResult")
    assert data["result"]["status"] == "not_available"
    assert data["result"]["flaggedResources"] == []


def test_injected_subscription_error_surfaces_as_client_error(aws):
    message = "AWS Premium Support Subscription is required to use this service."
    failure = {"code": "SubscriptionRequiredException", "message": message, "status": 400, "times": None}
    aws.seed({"accounts": {OTHER: {"trusted_advisor": {"errors": {
        "DescribeTrustedAdvisorCheckResult": failure,
        "DescribeTrustedAdvisorChecks": failure,
    }}}}})
    support = aws.client("support", account=OTHER, config=NO_RETRY)
    for _ in range(2):
        response = error_of(support.describe_trusted_advisor_check_result, checkId=CHECK)
        assert response["Error"] == {"Code": "SubscriptionRequiredException", "Message": message}
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    response = error_of(support.describe_trusted_advisor_checks, language="en")
    assert response["Error"]["Code"] == "SubscriptionRequiredException"
    # the main account is unaffected
    assert check_result(aws.client("support"))["result"]["status"] == "error"


def test_throttling_fails_the_given_number_of_times_then_succeeds(aws):
    state = demo()["accounts"][MAIN]["trusted_advisor"]
    state["errors"] = {"DescribeTrustedAdvisorCheckResult": {
        "code": "ThrottlingException", "message": "Rate exceeded", "status": 400, "times": 2}}
    aws.seed({"accounts": {MAIN: {"trusted_advisor": state}}})
    support = aws.client("support", config=NO_RETRY)
    for _ in range(2):
        error = error_of(support.describe_trusted_advisor_check_result, checkId=CHECK)["Error"]
        assert error == {"Code": "ThrottlingException", "Message": "Rate exceeded"}
    assert len(check_result(support)["result"]["flaggedResources"]) == 9


def test_call_log_records_service_operation_and_account(aws):
    aws.reset_calls()
    aws.client("iam").list_users()
    aws.client("support").describe_trusted_advisor_checks(language="en")
    aws.client("sqs").list_queues()
    assert aws.calls() == [
        {"service": "iam", "operation": "ListUsers", "account": MAIN},
        {"service": "support", "operation": "DescribeTrustedAdvisorChecks", "account": MAIN},
        {"service": "sqs", "operation": "ListQueues", "account": MAIN},
    ]
    aws.reset_calls()
    assert aws.calls() == []


def test_assumed_role_client_sees_the_member_account(aws):
    iam = aws.client("iam", account=MEMBER)
    aws.reset_calls()
    names = {user["UserName"] for user in iam.list_users()["Users"]}
    assert names == {"peggy", "trent", "victor"}
    rows = check_result(aws.client("support", account=MEMBER))["result"]["flaggedResources"]
    assert [row["metadata"][0] for row in rows] == ["AKIAORG2ACCT1EXAMPLE"]
    calls = aws.calls()
    assert calls[0] == {"service": "iam", "operation": "ListUsers", "account": MEMBER}
    assert calls[-1] == {"service": "support", "operation": "DescribeTrustedAdvisorCheckResult",
                         "account": MEMBER}
    assert {"service": "sts", "operation": "AssumeRole", "account": MAIN} in calls


def test_receive_message_long_polls_at_most_a_second(aws):
    """c7n-mailer long-polls 10 s before it stops; localaws shortens that (localaws/longpoll.py)."""
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName="custodian-mailer")["QueueUrl"]
    started = time.monotonic()
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10).get("Messages", []) == []
    assert time.monotonic() - started < 5
    sqs.send_message(QueueUrl=url, MessageBody="waiting")
    [message] = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10)["Messages"]
    assert message["Body"] == "waiting"


def test_queue_messages_are_read_without_being_consumed(aws):
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName="custodian-mailer")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="first")
    sqs.send_message(QueueUrl=url, MessageBody="second")
    assert aws.queue_messages("custodian-mailer") == ["first", "second"]
    assert aws.queue_messages("custodian-mailer") == ["first", "second"]
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(message["Body"] for message in received) == ["first", "second"]
    assert aws.queue_messages("custodian-mailer", account=MEMBER) == []
    with pytest.raises(LocalAWSError, match="404"):
        aws.queue_messages("no-such-queue")


def test_lambda_code_returns_the_uploaded_zip_without_recording_calls(aws):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def run(event, context):\n    return event\n")
    aws.client("lambda").create_function(
        FunctionName="example", Runtime="python3.11", Handler="handler.run",
        Role=f"arn:aws:iam::{MAIN}:role/custodian", Code={"ZipFile": buffer.getvalue()})
    aws.reset_calls()
    assert aws.lambda_code("example") == buffer.getvalue()
    assert aws.calls() == []
    with pytest.raises(LocalAWSError, match="404"):
        aws.lambda_code("example", account=MEMBER)


def test_reset_wipes_users_checks_and_calls(aws):
    aws.client("iam").list_users()
    aws.reset()
    assert aws.calls() == []
    assert aws.keys() == []
    assert aws.client("iam").list_users()["Users"] == []
    assert check_result(aws.client("support"))["result"]["status"] == "not_available"


def test_seed_refuses_a_key_id_owned_elsewhere_and_a_third_key(aws):
    doc = {"accounts": {MEMBER: {"users": [
        {"name": "mallory", "keys": [{"id": "AKIAIOSFODNN7EXAMPLE", "status": "Active"}]}]}}}
    with pytest.raises(LocalAWSError, match="400.*AKIAIOSFODNN7EXAMPLE"):
        aws.seed(doc)
    third_key = {"accounts": {MAIN: {"users": [
        {"name": "bob", "keys": [{"id": "AKIAIOSFODNN0EXAMPLE", "status": "Active"}]}]}}}
    with pytest.raises(LocalAWSError, match="400.*AccessKeysPerUser"):
        aws.seed(third_key)


def test_bulk_seeds_ten_thousand_users_in_seconds(aws):
    aws.reset()
    started = time.monotonic()
    aws.seed(bulk(10000, flagged=5))
    assert time.monotonic() - started < 10
    keys = aws.keys()
    assert len(keys) == 10000
    assert keys[0] == {"UserName": "user00001", "AccessKeyId": "AKIA000000001EXAMPLE", "Status": "Active"}
    rows = check_result(aws.client("support"))["result"]["flaggedResources"]
    flagged = [row["metadata"][0] for row in rows]
    assert len(set(flagged)) == 5 and set(flagged) <= {key["AccessKeyId"] for key in keys}


def test_env_passes_nothing_from_the_host_but_path_and_locale(aws, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "host-profile")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "host-token")
    monkeypatch.setenv("PYTHONPATH", "/host/path")
    monkeypatch.setenv("LANG", "C.UTF-8")
    env = aws.env(tmp_path)
    assert set(env) - {"LANG", "LC_ALL"} == {
        "PATH", "HOME", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
        "AWS_DEFAULT_REGION", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_EC2_METADATA_DISABLED",
    }
    assert env["LANG"] == "C.UTF-8"
    assert env["HOME"] == str(tmp_path)
    assert env["AWS_ENDPOINT_URL"] == aws.endpoint
    assert env["AWS_ACCESS_KEY_ID"] == "AKIAI44QH8DHBEXAMPLE"
    files = {"AWS_CONFIG_FILE": "config", "AWS_SHARED_CREDENTIALS_FILE": "credentials"}
    for name, file_name in files.items():
        path = tmp_path / ".aws" / file_name
        assert env[name] == str(path) and path.read_text() == ""
    # a stock tool in that environment reaches the local server
    script = "import boto3; print(boto3.client('sts').get_caller_identity()['Account'])"
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, timeout=60, check=True).stdout
    assert out.strip() == MAIN


def test_a_server_that_dies_is_reported_with_its_stderr():
    with pytest.raises(LocalAWSError, match="before READY(.|\n)*invalid choice"):
        LocalAWS(scenario="no-such-scenario").start()


def test_host_aws_settings_reach_neither_server_nor_clients(monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "no-such-host-profile")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with LocalAWS(scenario="demo") as aws:
        iam = aws.client("iam")
        assert iam.meta.region_name == "us-east-1"
        assert len(iam.list_users()["Users"]) == 12


# CloudTrail LookupEvents, which moto lacks.

KEY = "AKIAIOSFODNN7EXAMPLE"
OTHER_KEY = "AKIAI44QH8DH1EXAMPLE"
BY_KEY = [{"AttributeKey": "AccessKeyId", "AttributeValue": KEY}]
TRAIL_EVENTS = [
    event("ListBuckets", "s3.amazonaws.com", "2026-12-03T08:00:00Z", KEY, "alice", "203.0.113.7"),
    event("GetCallerIdentity", "sts.amazonaws.com", "2026-12-03T09:00:00Z", KEY, "alice",
          "198.51.100.23"),
    event("CreateBucket", "s3.amazonaws.com", "2026-12-03T10:00:00Z", KEY, "alice", "203.0.113.7",
          read_only=False, resources=[("AWS::S3::Bucket", "examplebucket")]),
    event("RunInstances", "ec2.amazonaws.com", "2026-12-03T11:00:00Z", KEY, "alice",
          "203.0.113.7", read_only=False),
    event("DescribeRegions", "ec2.amazonaws.com", "2026-12-03T12:00:00Z", KEY, "alice",
          "192.0.2.44"),
    event("ListUsers", "iam.amazonaws.com", "2026-12-03T09:30:00Z", OTHER_KEY, "carol",
          "192.0.2.10"),
]


def at(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture
def trail(aws):
    aws.seed({"accounts": {MAIN: {"cloudtrail": {
        "us-west-2": {"events": TRAIL_EVENTS},
        "eu-south-1": {"errors": {"LookupEvents": {
            "code": "UnrecognizedClientException",
            "message": "The security token included in the request is invalid."}}},
    }}}})
    return aws


def assert_valid_trail_output(data):
    model = botocore.session.get_session().get_service_model("cloudtrail")
    report = ParamValidator().validate(data, model.operation_model("LookupEvents").output_shape)
    assert not report.has_errors(), report.generate_report()


def lookup_all(client, **params):
    events, pages = [], 0
    while True:
        page = client.lookup_events(**params)
        pages += 1
        events += page["Events"]
        if "NextToken" not in page:
            return events, pages
        params["NextToken"] = page["NextToken"]


def test_lookup_events_answers_in_botocore_shape_newest_first(trail):
    data = trail.client("cloudtrail", region="us-west-2").lookup_events(LookupAttributes=BY_KEY)
    data.pop("ResponseMetadata")
    assert_valid_trail_output(data)
    assert "NextToken" not in data
    events = data["Events"]
    assert [e["EventName"] for e in events] == [
        "DescribeRegions", "RunInstances", "CreateBucket", "GetCallerIdentity", "ListBuckets"]
    put = events[2]
    assert put["EventTime"] == at("2026-12-03T10:00:00Z")
    assert (put["AccessKeyId"], put["Username"], put["EventSource"], put["ReadOnly"]) == (
        KEY, "alice", "s3.amazonaws.com", "false")
    assert put["Resources"] == [
        {"ResourceType": "AWS::S3::Bucket", "ResourceName": "examplebucket"}]
    record = json.loads(put["CloudTrailEvent"])
    assert record["sourceIPAddress"] == "203.0.113.7"
    assert record["eventID"] == put["EventId"] and record["awsRegion"] == "us-west-2"
    assert record["userIdentity"]["accessKeyId"] == KEY
    assert record["userIdentity"]["arn"] == f"arn:aws:iam::{MAIN}:user/alice"
    assert record["readOnly"] is False and record["eventTime"] == "2026-12-03T10:00:00Z"
    # Event ids are derived from the seed, so a re-seeded server answers the same.
    trail.seed({"accounts": {MAIN: {"cloudtrail": {"us-west-2": {"events": TRAIL_EVENTS}}}}})
    again = trail.client("cloudtrail", region="us-west-2").lookup_events(LookupAttributes=BY_KEY)
    assert [e["EventId"] for e in again["Events"]] == [e["EventId"] for e in events]


def test_lookup_events_keeps_regions_and_accounts_apart(trail):
    assert trail.client("cloudtrail").lookup_events()["Events"] == []
    member = trail.client("cloudtrail", account=MEMBER, region="us-west-2")
    assert member.lookup_events()["Events"] == []
    everything = trail.client("cloudtrail", region="us-west-2").lookup_events()["Events"]
    assert len(everything) == len(TRAIL_EVENTS)


def test_lookup_events_filters_by_attribute_and_inclusive_time(trail):
    client = trail.client("cloudtrail", region="us-west-2")
    window = client.lookup_events(
        LookupAttributes=BY_KEY, StartTime=at("2026-12-03T09:00:00Z"),
        EndTime=at("2026-12-03T11:00:00Z"))["Events"]
    assert [e["EventName"] for e in window] == ["RunInstances", "CreateBucket", "GetCallerIdentity"]
    other = client.lookup_events(LookupAttributes=[
        {"AttributeKey": "AccessKeyId", "AttributeValue": OTHER_KEY}])["Events"]
    assert [e["EventName"] for e in other] == ["ListUsers"]
    by_name = client.lookup_events(LookupAttributes=[
        {"AttributeKey": "EventName", "AttributeValue": "CreateBucket"}])["Events"]
    assert [e["Username"] for e in by_name] == ["alice"]
    by_resource = client.lookup_events(LookupAttributes=[
        {"AttributeKey": "ResourceName", "AttributeValue": "examplebucket"}])["Events"]
    assert [e["EventName"] for e in by_resource] == ["CreateBucket"]


def test_lookup_events_pages_with_max_results_and_next_token(trail):
    client = trail.client("cloudtrail", region="us-west-2")
    everything = client.lookup_events(LookupAttributes=BY_KEY)["Events"]
    paged, pages = lookup_all(client, LookupAttributes=BY_KEY, MaxResults=2)
    assert pages == 3
    assert paged == everything
    first = client.lookup_events(LookupAttributes=BY_KEY, MaxResults=2)
    assert len(first["Events"]) == 2 and first["NextToken"]
    # A token belongs to its query: reused with another window, it is refused.
    error = error_of(client.lookup_events, LookupAttributes=BY_KEY, MaxResults=2,
                     StartTime=at("2026-12-03T00:00:00Z"), NextToken=first["NextToken"])
    assert error["Error"]["Code"] == "InvalidNextTokenException"


@pytest.mark.parametrize("params, code", [
    ({"MaxResults": 51}, "InvalidMaxResultsException"),
    ({"StartTime": at("2026-12-03T12:00:00Z"), "EndTime": at("2026-12-03T11:00:00Z")},
     "InvalidTimeRangeException"),
    ({"LookupAttributes": BY_KEY + [{"AttributeKey": "EventName", "AttributeValue": "X"}]},
     "InvalidLookupAttributesException"),
    ({"NextToken": "not-a-token"}, "InvalidNextTokenException"),
])
def test_lookup_events_refuses_what_aws_refuses(trail, params, code):
    client = trail.client("cloudtrail", region="us-west-2", config=NO_RETRY)
    assert error_of(client.lookup_events, **params)["Error"]["Code"] == code


def test_lookup_events_errors_are_injected_per_region(trail):
    client = trail.client("cloudtrail", region="eu-south-1", config=NO_RETRY)
    for _ in range(2):
        error = error_of(client.lookup_events, LookupAttributes=BY_KEY)["Error"]
        assert error == {"Code": "UnrecognizedClientException",
                         "Message": "The security token included in the request is invalid."}
    assert trail.client("cloudtrail", region="us-west-2").lookup_events()["Events"]
    trail.seed({"accounts": {MAIN: {"cloudtrail": {"us-west-2": {
        "events": TRAIL_EVENTS, "errors": {"LookupEvents": {
            "code": "ThrottlingException", "message": "Rate exceeded", "times": 1}}}}}}})
    throttled = trail.client("cloudtrail", region="us-west-2", config=NO_RETRY)
    assert error_of(throttled.lookup_events)["Error"]["Code"] == "ThrottlingException"
    assert len(throttled.lookup_events()["Events"]) == len(TRAIL_EVENTS)


def test_lookup_events_are_in_the_call_log_and_reset_wipes_them(trail):
    trail.reset_calls()
    client = trail.client("cloudtrail", region="us-west-2")
    client.lookup_events(LookupAttributes=BY_KEY)
    client.describe_trails()  # moto still answers the rest of CloudTrail
    assert trail.calls() == [
        {"service": "cloudtrail", "operation": "LookupEvents", "account": MAIN},
        {"service": "cloudtrail", "operation": "DescribeTrails", "account": MAIN},
    ]
    trail.reset()
    assert client.lookup_events()["Events"] == []


@pytest.mark.parametrize("bad", [
    {"EventName": "ListBuckets", "EventSource": "s3.amazonaws.com"},
    {"EventName": "ListBuckets", "EventSource": "s3.amazonaws.com",
     "EventTime": "2026-12-03T08:00:00"},
])
def test_seed_refuses_an_event_without_a_zoned_time(aws, bad):
    with pytest.raises(LocalAWSError, match="400.*(EventTime|zone)"):
        aws.seed({"accounts": {MAIN: {"cloudtrail": {"us-west-2": {"events": [bad]}}}}})
    assert aws.client("cloudtrail", region="us-west-2").lookup_events()["Events"] == []
