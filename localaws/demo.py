"""`python -m localaws.demo`: run the stock `custodian run` over the demo scenario on a local
AWS, then show what changed, what was sent and which AWS calls were made, deliver the queued
message with the stock c7n-mailer to a local SMTP server, show the emails, and check it all."""

import argparse
import json
import os
import re
import shlex
import sys
import tempfile
import textwrap
from collections import Counter
from pathlib import Path

from . import demomail, seed
from .client import LocalAWS
from .defaults import REGION
from .runner import notifications, run

POLICY = Path(__file__).resolve().parent.parent / "policies" / "exposed-keys.yml"
ACCOUNT = seed.MAIN
QUEUE = "custodian-mailer"
OUTCOMES = Path("exposed-keys") / "deactivate-exposed-keys.json"
# custodian's log format: "<date> <time>: <logger>:<LEVEL> <message>"
LOG_LINE = re.compile(r"^\S+ \S+: \S+?:([A-Z]+) (.*)$")
# The plugin starts every message with this, whichever logger it uses.
PLUGIN_PREFIX = "exposed-keys: "
HEADER = ("User", "Access key", "Before", "After", "TA row", "Fraud type", "Outcome")


def shown(path):
    """The path relative to the current directory when it lies below it, else absolute."""
    relative = os.path.relpath(path)
    return str(path) if relative.startswith("..") else relative


def print_header(aws, home, scenario):
    users, rows = scenario["users"], scenario["trusted_advisor"]["rows"]
    keys = sum(len(user["keys"]) for user in users)
    print("Exposed-keys demo: the stock `custodian run` against a local AWS (moto). "
          "No real AWS is touched.")
    print(f"  local AWS: {aws.endpoint}  account {ACCOUNT}  region {REGION}")
    print(f"  seeded:    {len(users)} IAM users with {keys} access keys; Trusted Advisor's "
          f"Exposed Access Keys check lists {len(rows)} rows")
    print(f"  HOME:      {home} (fresh, fake credentials only)")


def print_run(command, proc, out_dir, verbose):
    print(f"\n$ {shlex.join(['custodian', *command])}")
    print("  (runs the file's three policies: exposed-keys acts and notifies, "
          "exposed-keys-report only lists,\n   exposed-root-keys notifies about root keys)")
    print(f"  exit status {proc.returncode}; output in {shown(out_dir)}/ - inspect it with:")
    print(f"  custodian report -s {shown(out_dir)} -p exposed-keys --format grid {shown(POLICY)}")
    print("\nCustodian's log" + (":" if verbose else ", the plugin's lines (--verbose for all):"))
    print("\n".join(["  " + line for line in proc.stderr.splitlines()] if verbose
                    else plugin_log(proc.stderr)))


def plugin_log(stderr):
    """The plugin's log lines, minus the per-key outcomes the table shows."""
    lines = []
    for level, message in (m.groups() for m in map(LOG_LINE.match, stderr.splitlines()) if m):
        if message.startswith(PLUGIN_PREFIX) and not (level == "INFO" and " outcome:" in message):
            lines.append(textwrap.fill(f"{level} {message}", 108, initial_indent="  ",
                                       subsequent_indent="      "))
    return lines


def note(row, record, user_flagged):
    """Why a key is a special case, or ''."""
    if row and row["status"] == "ok":
        return "ok row: left alone"
    if row and row["isSuppressed"]:
        return "suppressed row: acted on (include-suppressed defaults to true)"
    if row and not row["metadata"][0]:
        return "row names no key id: left alone"
    if record and record["Outcome"] == "already-inactive":
        return "was Inactive already: no call made"
    if not row and user_flagged:
        return "other key of a flagged user: left alone"
    return ""


def table(keys, after, records, rows, expected):
    """One line per IAM key, then the root keys; a special case gets a note line below."""
    by_key = {r["metadata"][0]: r for r in rows if r["metadata"][0]}
    keyless = {r["metadata"][1]: r for r in rows if not r["metadata"][0]}
    # deactivate-exposed-keys.json: a row without a key id is recorded with AccessKeyId null
    outcome_of = {r["AccessKeyId"] or r["UserName"]: r for r in records}
    flagged_users = {r["UserName"] for r in records}
    lines = []
    for key, user, status in ((k["AccessKeyId"], k["UserName"], k["Status"]) for k in keys):
        row = by_key.get(key) or keyless.get(user)
        record = outcome_of.get(key) or (outcome_of.get(user) if user in keyless else None)
        cells = (user, key, status, after.get(key, "missing"),
                 row["status"] if row else "-", row["metadata"][2] if row else "-",
                 record["Outcome"] if record else "-")
        lines.append((cells, note(row, record, user in flagged_users)))
    for key in expected["root"]:
        row = by_key[key]
        lines.append((("(root)", key, "-", "-", row["status"], row["metadata"][2], "-"),
                      "root key: reported by exposed-root-keys, never changed "
                      "(needs a root sign-in)"))
    widths = [max(map(len, column)) for column in zip(HEADER, *(cells for cells, _ in lines))]
    text = []
    for cells, why in [(HEADER, "")] + lines:
        text.append("  " + "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip())
        if why:
            text.append(" " * (widths[0] + 4) + "^ " + why)
    return text


def print_notifications(messages):
    print(f"\nNotifications in SQS queue {QUEUE}: {len(messages)}")
    for message in messages:
        # c7n leaves the subject's {{ }} fields for c7n-mailer to fill in.
        print(f"  subject: {message['action']['subject']}")
        print("           (c7n-mailer fills in the {{ }} fields)")
        print(f"  to:      {', '.join(message['action']['to'])}")
        if message["policy"]["resource"] == "account":
            # exposed-root-keys: the account itself, no outcome (a person must act)
            print("  account and its root keys (nothing changed: needs a root sign-in):")
            for resource in message["resources"]:
                keys = ", ".join(e["AccessKeyId"] or "(no key id)"
                                 for e in resource.get("c7n:exposed-keys", []))
                print(f"    {resource['account_id']:<40} {keys}")
            continue
        print("  users, their OwnerContact tag (for resource-owner), keys and outcomes:")
        for resource in message["resources"]:
            owner = {t["Key"]: t["Value"] for t in resource.get("Tags", [])}.get("OwnerContact", "-")
            keys = ", ".join(f"{e['AccessKeyId'] or '(no key id)'} {e.get('Outcome', '?')}"
                             for e in resource.get("c7n:exposed-keys", []))
            print(f"    {resource['UserName']:<13} {owner:<26} {keys}")


def print_calls(calls):
    counts = Counter(f"{call['service']}:{call['operation']}" for call in calls)
    print(f"\nAWS calls made by the run (every policy in the file), {len(calls)} in total:")
    for name, count in sorted(counts.items(), key=lambda item: (item[0].split(":")[0], -item[1])):
        print(f"  {count:>4}  {name}")


def verify(after, expected):
    """Mismatches between the keys' final states and what a correct run leaves behind."""
    wanted = {key: "Inactive" for key in expected["inactive"]}
    wanted.update(expected["unchanged"])
    problems = [f"key {key} is {after.get(key, 'missing')}, expected {status}"
                for key, status in wanted.items() if after.get(key) != status]
    return problems + [f"key {key} is not in the demo scenario" for key in after if key not in wanted]


def result(before, after, problems):
    """The exit status and the RESULT line(s)."""
    if problems:
        return 1, "\n".join([f"RESULT: FAILED — {len(problems)} problem(s):"]
                            + [f"  - {problem}" for problem in problems])
    changed = sum(before.get(key) != status for key, status in after.items())
    return 0, f"RESULT: ok — {changed} keys deactivated, {len(after) - changed} left untouched"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m localaws.demo", description=__doc__)
    parser.add_argument("--output-dir", default="out", help="custodian's output folder (./out)")
    parser.add_argument("--verbose", action="store_true", help="print custodian's full log")
    args = parser.parse_args(argv)
    scenario, expected = seed.demo(), seed.DEMO_EXPECTED[ACCOUNT]
    out_dir = Path(args.output_dir).resolve()
    # Never show outcomes a previous run left in the same folder.
    (out_dir / OUTCOMES).unlink(missing_ok=True)
    with LocalAWS(scenario=None) as aws, tempfile.TemporaryDirectory() as home:
        aws.seed(scenario)
        print_header(aws, home, scenario["accounts"][ACCOUNT])
        vars_file = Path(home) / "vars.yml"
        vars_file.write_text("security_email: security@example.com\n")
        command = ["run", "-s", shown(out_dir), "--cache-period", "0",
                   "--vars-file", str(vars_file), shown(POLICY)]
        keys = aws.keys(ACCOUNT)
        aws.reset_calls()
        proc = run(aws, "custodian", *command, home=home)
        print_run(command, proc, out_dir, args.verbose)
        before = {k["AccessKeyId"]: k["Status"] for k in keys}
        after = {k["AccessKeyId"]: k["Status"] for k in aws.keys(ACCOUNT)}
        outcomes = out_dir / OUTCOMES
        records = json.loads(outcomes.read_text()) if outcomes.exists() else []
        print(f"\nIAM access keys in account {ACCOUNT}, before and after the run")
        print("(TA row: the status of the key's row in Trusted Advisor's check):")
        rows = scenario["accounts"][ACCOUNT]["trusted_advisor"]["rows"]
        print("\n".join(table(keys, after, records, rows, expected)))
        messages = notifications(aws, QUEUE, ACCOUNT)
        print_notifications(messages)
        print_calls(aws.calls())
        # Last: the stock c7n-mailer delivers the queued message by SMTP, and the emails print.
        mail_problems = demomail.deliver(aws, home, out_dir, expected["inactive"])
    problems = verify(after, expected) + mail_problems
    if not messages:
        problems.append(f"no notification reached the {QUEUE} queue")
    if proc.returncode:
        problems.append(f"custodian exited with status {proc.returncode}; its stderr ends:\n"
                        + textwrap.indent("\n".join(proc.stderr.splitlines()[-15:]), "      "))
    status, line = result(before, after, problems)
    print("\n" + line)
    return status


if __name__ == "__main__":
    sys.exit(main())
