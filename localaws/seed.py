"""Scenarios: seed documents for `LocalAWS.seed()` and `serve --scenario`.

A seed document is plain JSON-able data:
{"accounts": {"<account id>": {"users": [...], "queues": [...], "trusted_advisor": {...},
                               "cloudtrail": {...}}}}

"cloudtrail" holds CloudTrail's event history per region, for LookupEvents:
{"<region>": {"events": [<event>, ...],
              "errors": {"LookupEvents": {"code": "AccessDeniedException", "message": "...",
                                          "status": 400, "times": null}}}}
An <event> (see `event()`) needs EventName, EventSource and EventTime (ISO 8601 with a
zone, e.g. "2026-12-03T08:15:00Z"), and may give AccessKeyId, Username, SourceIPAddress,
ReadOnly (true/false), Resources ([{"ResourceType", "ResourceName"}]), UserAgent and
EventId (else one is derived from the event, so recordings stay stable). The server builds
the CloudTrailEvent JSON record from these. Seeding a region replaces its events and
errors; `times` is how many calls fail before the region answers again (null: always).
"""

from .defaults import DEFAULT_ACCOUNT

# The fake caller key maps to moto's default account, so that is the main one.
MAIN = DEFAULT_ACCOUNT
MEMBER = "111122223333"
CHECKED_AT = "2026-12-03T09:12:44Z"

# Epoch-millisecond strings, as AWS's samples show the time cells.
UPDATED = "1796288400000"        # 2026-12-03T09:00:00Z
DEADLINE = "1796893200000"       # a week later
UPDATED_EARLIER = "1796135400000"  # 2026-12-01T14:30:00Z
DEADLINE_EARLIER = "1796740200000"
UPDATED_LAST_WEEK = "1795846500000"  # 2026-11-28T06:15:00Z


def user(name, contact, *keys):
    tags = {"OwnerContact": contact} if contact else {}
    return {"name": name, "tags": tags, "keys": [{"id": k, "status": s} for k, s in keys]}


def row(status, key_id, user_name, fraud, case_id, updated, location, deadline, usage,
        region="us-east-1", suppressed=False):
    found = {"status": status, "isSuppressed": suppressed,
             "metadata": [key_id, user_name, fraud, case_id, updated, location, deadline, usage]}
    if region:
        found["region"] = region
    return found


def event(name, source, time, key_id, user_name, ip, read_only=True, resources=()):
    """A CloudTrail event for a seed document's "cloudtrail" regions."""
    return {"EventName": name, "EventSource": source, "EventTime": time,
            "AccessKeyId": key_id, "Username": user_name, "SourceIPAddress": ip,
            "ReadOnly": read_only,
            "Resources": [{"ResourceType": t, "ResourceName": n} for t, n in resources]}


def demo():
    """Two accounts: every case the product must tell apart, in the main one."""
    main_users = [
        user("alice", "alice@example.com", ("AKIAIOSFODNN7EXAMPLE", "Active")),
        user("bob", "bob@example.com",
             ("AKIAIOSFODNN1EXAMPLE", "Active"), ("AKIAIOSFODNN2EXAMPLE", "Active")),
        user("carol", "carol@example.com", ("AKIAI44QH8DH1EXAMPLE", "Active")),
        user("dave", "dave@example.com", ("AKIAIOSFODNN3EXAMPLE", "Active")),
        user("erin", "erin@example.com", ("AKIAIOSFODNN4EXAMPLE", "Active")),
        user("frank", "frank@example.com", ("AKIAIOSFODNN5EXAMPLE", "Active")),
        user("grace", "grace@example.com", ("AKIAI44QH8DH4EXAMPLE", "Active")),
        user("heidi", None, ("AKIAIOSFODNN6EXAMPLE", "Active")),
        user("ivan", "ivan@example.com",
             ("AKIAI44QH8DH5EXAMPLE", "Active"), ("AKIAI44QH8DH6EXAMPLE", "Inactive")),
        user("judy", "judy@example.com"),
        user("ci-deploy", "platform-team@example.com",
             ("AKIAI44QH8DH2EXAMPLE", "Active"), ("AKIAI44QH8DH3EXAMPLE", "Inactive")),
        user("backup-runner", "ops@example.com", ("AKIAI44QH8DH7EXAMPLE", "Active")),
    ]
    repo = "https://github.com/example/"
    main_rows = [
        row("error", "AKIAIOSFODNN7EXAMPLE", "alice", "Exposed", "12345678910",
            UPDATED, repo + "webapp/blob/main/settings.py", DEADLINE, "0.25"),
        # bob has two keys; only the second is flagged
        row("error", "AKIAIOSFODNN2EXAMPLE", "bob", "Potentially compromised", "12345678911",
            UPDATED, repo + "scripts/blob/main/deploy.sh", DEADLINE, "48.10"),
        row("warning", "AKIAI44QH8DH1EXAMPLE", "carol", "Exposed", "12345678912",
            UPDATED_EARLIER, "https://gist.github.com/example/0a1b2c3d", DEADLINE_EARLIER, "0"),
        row("error", "AKIAI44QH8DH4EXAMPLE", "grace", "Suspected", "12345678913",
            UPDATED, "", DEADLINE, "312.40"),
        # already Inactive: must stay so, and acting on it again must be harmless
        row("error", "AKIAI44QH8DH3EXAMPLE", "ci-deploy", "Exposed", "12345678914",
            UPDATED_EARLIER, repo + "infra/blob/main/ci.yml", DEADLINE_EARLIER, "0"),
        # green: handled last week, key deliberately still Active; do not touch
        row("ok", "AKIAIOSFODNN3EXAMPLE", "dave", "Exposed", "12345678800",
            UPDATED_LAST_WEEK, repo + "notes/blob/main/README.md", "", "0"),
        # suppressed (a legacy exclusion): still exposed, acted on by default
        row("error", "AKIAIOSFODNN4EXAMPLE", "erin", "Exposed", "12345678801",
            UPDATED_LAST_WEEK, repo + "sandbox/blob/main/.env", "", "0", suppressed=True),
        # Suspected without a key id: which of frank's keys is unknown
        row("error", "", "frank", "Suspected", "12345678915", UPDATED, "", DEADLINE, "75.00"),
        # a root key: no IAM user owns it, only a person signed in as root can act
        row("error", "AKIAROOTKEY01EXAMPLE", "<root_account>", "Exposed", "12345678916",
            UPDATED, repo + "legacy/blob/main/backup.py", DEADLINE, "0", region=None),
    ]
    member_users = [
        user("peggy", "peggy@example.com", ("AKIAORG2ACCT1EXAMPLE", "Active")),
        user("trent", "trent@example.com", ("AKIAORG2ACCT2EXAMPLE", "Active")),
        user("victor", "victor@example.com", ("AKIAORG2ACCT3EXAMPLE", "Active")),
    ]
    member_rows = [
        row("error", "AKIAORG2ACCT1EXAMPLE", "peggy", "Exposed", "12345678920",
            UPDATED, repo + "dotfiles/blob/main/.aws/credentials", DEADLINE, "1.50"),
    ]
    return {"accounts": {
        MAIN: {"users": main_users, "queues": ["custodian-mailer"],
               "trusted_advisor": {"status": "error", "timestamp": CHECKED_AT, "rows": main_rows}},
        MEMBER: {"users": member_users, "queues": ["custodian-mailer"],
                 "trusted_advisor": {"status": "error", "timestamp": CHECKED_AT, "rows": member_rows}},
    }}


# What a correct remediation run over demo() leaves behind, per account:
# "inactive": key -> user, keys that must end Inactive (one already is);
# "unchanged": key -> seeded status, every other IAM key, to be left alone
#   (unflagged, the green row, and frank's key, whose row names no key); suppressed rows
#   are acted on, as the filter's include-suppressed defaults to true;
# "root": root keys in the check, to be reported, never changed.
DEMO_EXPECTED = {
    MAIN: {
        "inactive": {
            "AKIAIOSFODNN7EXAMPLE": "alice",
            "AKIAIOSFODNN2EXAMPLE": "bob",
            "AKIAI44QH8DH1EXAMPLE": "carol",
            "AKIAI44QH8DH4EXAMPLE": "grace",
            "AKIAI44QH8DH3EXAMPLE": "ci-deploy",
            "AKIAIOSFODNN4EXAMPLE": "erin",      # suppressed, acted on by default
        },
        "unchanged": {
            "AKIAIOSFODNN1EXAMPLE": "Active",    # bob's other key
            "AKIAIOSFODNN3EXAMPLE": "Active",    # dave: ok row
            "AKIAIOSFODNN5EXAMPLE": "Active",    # frank: Suspected, no key id
            "AKIAIOSFODNN6EXAMPLE": "Active",
            "AKIAI44QH8DH5EXAMPLE": "Active",
            "AKIAI44QH8DH6EXAMPLE": "Inactive",
            "AKIAI44QH8DH2EXAMPLE": "Active",    # ci-deploy's other key
            "AKIAI44QH8DH7EXAMPLE": "Active",
        },
        "root": ["AKIAROOTKEY01EXAMPLE"],
    },
    MEMBER: {
        "inactive": {"AKIAORG2ACCT1EXAMPLE": "peggy"},
        "unchanged": {"AKIAORG2ACCT2EXAMPLE": "Active", "AKIAORG2ACCT3EXAMPLE": "Active"},
        "root": [],
    },
}


def bulk(users, flagged=5, account=MAIN):
    """`users` users with one key each; `flagged` of them, spread out, are error rows."""
    flagged = min(flagged, users)
    step = users // flagged if flagged else 0
    flagged_numbers = {1 + n * step for n in range(flagged)}
    seeded, rows = [], []
    for number in range(1, users + 1):
        name, key_id = f"user{number:05d}", f"AKIA{number:09d}EXAMPLE"
        seeded.append(user(name, f"{name}@example.com", (key_id, "Active")))
        if number in flagged_numbers:
            rows.append(row("error", key_id, name, "Exposed", f"{10000000000 + number}",
                            UPDATED, f"https://github.com/example/{name}", DEADLINE, "0"))
    status = "error" if rows else "ok"
    return {"accounts": {account: {
        "users": seeded, "queues": ["custodian-mailer"],
        "trusted_advisor": {"status": status, "timestamp": CHECKED_AT, "rows": rows},
    }}}


SCENARIOS = {"demo": demo}
