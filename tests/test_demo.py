"""`python -m localaws.demo`, run as README command 1 runs it, and its verdict."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from localaws import demo, demomail, mailbox
from localaws.seed import DEMO_EXPECTED, MAIN
from localaws.seed import demo as demo_scenario

REPO = Path(__file__).resolve().parent.parent
EXPECTED = DEMO_EXPECTED[MAIN]
CALL_LINE = re.compile(r"^\s+(\d+)\s+(\w+:\w+)$")


def seeded():
    """Key id -> (user, seeded status) in the main account."""
    users = demo_scenario()["accounts"][MAIN]["users"]
    return {k["id"]: (u["name"], k["status"]) for u in users for k in u["keys"]}


def deactivated_by_the_run():
    return [key for key in EXPECTED["inactive"] if seeded()[key][1] == "Active"]


@pytest.fixture(scope="module")
def run_demo(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("demo") / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "localaws.demo", "--output-dir", str(out_dir)],
        cwd=REPO, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    return proc, out_dir


@pytest.fixture(scope="module")
def output(run_demo):
    proc, _ = run_demo
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def table_rows(output):
    """Table cells by access key id; cells are separated by two or more spaces."""
    rows = {}
    for line in output.splitlines():
        cells = re.split(r"\s{2,}", line.strip())
        if len(cells) == len(demo.HEADER) and cells[1].startswith("AKIA"):
            rows[cells[1]] = dict(zip(demo.HEADER, cells))
    return rows


def calls(output):
    section = output.split("AWS calls made by the run")[1].split("$ c7n-mailer")[0]
    return {m[2]: int(m[1]) for m in map(CALL_LINE.match, section.splitlines()) if m}


def test_demo_ends_with_an_ok_result(output):
    deactivated = len(deactivated_by_the_run())
    untouched = len(seeded()) - deactivated
    assert f"RESULT: ok — {deactivated} keys deactivated, {untouched} left untouched" in output
    assert "FAILED" not in output


def test_header_names_the_local_endpoint_and_the_command(output):
    assert re.search(r"local AWS: http://127\.0\.0\.1:\d+\s+account 123456789012", output)
    assert "No real AWS is touched" in output
    assert re.search(r"^\$ custodian run -s \S+ --cache-period 0 --vars-file \S+ "
                     r"policies/exposed-keys\.yml$", output, re.M)


def test_table_shows_every_key_with_its_final_state(output):
    rows = table_rows(output)
    for key, (user, status) in seeded().items():
        row = rows[key]
        assert (row["User"], row["Before"]) == (user, status)
        if key in EXPECTED["inactive"]:
            assert row["After"] == "Inactive"
            assert row["Outcome"] == ("deactivated" if status == "Active" else "already-inactive")
        else:
            assert row["After"] == EXPECTED["unchanged"][key]
            assert row["Outcome"] in ("-", "no-key-id")
    assert rows["AKIAIOSFODNN7EXAMPLE"]["Outcome"] == "deactivated"
    assert rows["AKIAIOSFODNN3EXAMPLE"]["After"] == "Active"


def test_table_explains_the_special_cases_and_the_root_key(output):
    rows = table_rows(output)
    for key in EXPECTED["root"]:
        assert rows[key]["User"] == "(root)"
    lines = output.splitlines()
    dave = lines.index(next(line for line in lines if "AKIAIOSFODNN3EXAMPLE" in line))
    assert "ok row: left alone" in lines[dave + 1]
    assert "other key of a flagged user" in output
    assert "root key: reported" in output


def test_notification_reaches_the_queue_for_security(output):
    # exposed-keys' message about users, exposed-root-keys' about the account's root key
    assert "Notifications in SQS queue custodian-mailer: 2" in output
    assert re.search(r"^    123456789012 +AKIAROOTKEY01EXAMPLE$", output, re.M)
    assert re.search(r"to: +resource-owner, security@example\.com$", output, re.M)
    assert re.search(r"alice +alice@example\.com +AKIAIOSFODNN7EXAMPLE deactivated", output)


def test_calls_show_one_check_read_and_one_update_per_active_flagged_key(output):
    counted = calls(output)
    assert counted["support:DescribeTrustedAdvisorCheckResult"] == 1
    assert counted["iam:UpdateAccessKey"] == len(deactivated_by_the_run())
    assert not any(name.startswith("iam:Delete") for name in counted)
    assert f"{sum(counted.values())} in total" in output


def test_plugin_log_only_by_default(output):
    log = output.split("Custodian's log")[1].split("IAM access keys in account")[0]
    assert "root key:AKIAROOTKEY01EXAMPLE" in log
    assert "custodian.policy" not in log and "outcome:" not in log


def test_output_folder_holds_the_outcomes(run_demo, output):
    _, out_dir = run_demo
    records = json.loads((out_dir / demo.OUTCOMES).read_text())
    assert {r["AccessKeyId"] for r in records} >= set(EXPECTED["inactive"])
    assert f"output in {out_dir}/" in output


def test_output_stays_narrow(run_demo, output):
    _, out_dir = run_demo
    # the command lines hold pytest's long temporary paths
    assert max(len(line) for line in output.splitlines() if str(out_dir) not in line) <= 110


def test_a_wrong_outcome_fails_loudly():
    before = {key: status for key, (_, status) in seeded().items()}
    after = dict(before, **{key: "Inactive" for key in EXPECTED["inactive"]})
    assert demo.verify(after, EXPECTED) == []
    # alice's exposed key left Active, dave's ok-row key deactivated
    after.update({"AKIAIOSFODNN7EXAMPLE": "Active", "AKIAIOSFODNN3EXAMPLE": "Inactive"})
    problems = demo.verify(after, EXPECTED)
    status, text = demo.result(before, after, problems)
    assert status != 0
    assert text.startswith("RESULT: FAILED — 2 problem(s):")
    assert "key AKIAIOSFODNN7EXAMPLE is Active, expected Inactive" in text
    assert "key AKIAIOSFODNN3EXAMPLE is Inactive, expected Active" in text


def test_a_missing_or_extra_key_fails():
    after = dict(EXPECTED["unchanged"], **{key: "Inactive" for key in EXPECTED["inactive"]})
    del after["AKIAIOSFODNN1EXAMPLE"]
    after["AKIAEXTRAKEY0EXAMPLE"] = "Active"
    assert demo.verify(after, EXPECTED) == [
        "key AKIAIOSFODNN1EXAMPLE is missing, expected Active",
        "key AKIAEXTRAKEY0EXAMPLE is not in the demo scenario"]


def emails(output):
    """The printed emails: recipients -> {key: {column: cell}}."""
    section = output.split("Emails the local SMTP server received")[1].split("The first email")[0]
    lines = section.splitlines()
    # Cells are cut at the heading line's column starts (a cell may be empty).
    heading = next(line for line in lines if line.strip().startswith(demomail.KEY_COLUMNS[0]))
    starts = [heading.index(column) for column in demomail.KEY_COLUMNS] + [None]
    found, current = {}, None
    for line in lines:
        if line.startswith("  to ") and line.endswith(":"):
            current = found.setdefault(line[len("  to "):-1], {})
        elif current is not None and line.startswith("    "):
            cells = [line[a:b].strip() for a, b in zip(starts, starts[1:])]
            current[cells[0]] = dict(zip(demomail.KEY_COLUMNS, cells))
    return found


def test_demo_runs_the_stock_mailer_against_the_queue(output):
    assert re.search(r"^\$ c7n-mailer --config mailer\.yml --templates mailer/templates --run$",
                     output, re.M)
    assert re.search(r"smtp_server 127\.0\.0\.1, smtp_port \d+: a local SMTP server without TLS",
                     output)
    assert "exit status 0; its AWS calls: 2 sqs:DeleteMessage, 2 sqs:ReceiveMessage" in output


def test_demo_ends_with_the_delivered_emails(run_demo, output):
    _, out_dir = run_demo
    delivered = mailbox.delivered(out_dir / "mail")
    printed = emails(output)
    assert f"Emails the local SMTP server received: {len(delivered)}, saved in {out_dir}/mail/" \
        in output
    assert sorted(printed) == sorted(", ".join(mail["rcpt_tos"]) for mail in delivered)
    assert all(to.endswith(", security@example.com") for to in printed
               if to != "security@example.com")
    # exposed-root-keys' email, to security alone.
    root = printed["security@example.com"]["AKIAROOTKEY01EXAMPLE"]
    assert (root["Fraud type"], root["Outcome"]) == ("Exposed", "Not changed (needs a person)")
    assert "subject: Exposed AWS access keys in account 123456789012: deactivation results" \
        in output
    rows = {key: row for keys in printed.values() for key, row in keys.items()}
    for key in EXPECTED["inactive"]:
        assert rows[key]["Outcome"] in ("Deactivated (now Inactive)", "Already inactive (no change)")
    alice = printed["alice@example.com, security@example.com"]["AKIAIOSFODNN7EXAMPLE"]
    assert (alice["Fraud type"], alice["Support case"], alice["New"]) == (
        "Exposed", "12345678910", "new")
    assert "Not deactivated (finding has no key id)" in rows["(no key id)"]["Outcome"]
    # The first email follows in full, next steps included; the verdict comes last.
    tail = output.split("The first email as its reader sees it")[1]
    assert "Next steps for alice:" in tail and "Close the AWS support case 12345678910" in tail
    assert tail.rstrip().splitlines()[-1].startswith("RESULT: ok")
