"""moto's in-process state: seed it from a document, read keys and queues back.

Seeding goes straight to moto's backend objects (no HTTP per user), so
10,000 users take seconds.
"""

import json

from moto.awslambda.exceptions import UnknownFunctionException
from moto.awslambda.models import lambda_backends
from moto.iam.models import iam_backends
from moto.sqs.models import sqs_backends

from .defaults import DEFAULT_ACCOUNT, REGION, ROLE_NAME

PARTITION = "aws"
# The AWS documentation's example secret; no seeded secret is ever used to sign.
EXAMPLE_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
KEY_STATUSES = ("Active", "Inactive")


def iam(account):
    return iam_backends[account][PARTITION]


def trust_policy():
    # The fake caller key belongs to no account, so its calls come from the default one.
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{DEFAULT_ACCOUNT}:root"},
            "Action": "sts:AssumeRole",
        }],
    })


def ensure_role(backend):
    if any(role.name == ROLE_NAME for role in backend.get_roles()):
        return
    backend.create_role(
        role_name=ROLE_NAME,
        assume_role_policy_document=trust_policy(),
        path="/",
        permissions_boundary=None,
        description="Assumed by custodian and c7n-org runs against localaws",
        tags=[],
        max_session_duration=None,
    )


def key_owner(key_id):
    """(account, key) for a key id held anywhere, else (None, None)."""
    for account, partitions in list(iam_backends.items()):
        key = partitions[PARTITION].access_keys.get(key_id)
        if key is not None:
            return account, key
    return None, None


def add_key(backend, user, spec):
    key_id, status = spec["id"], spec.get("status", "Active")
    if status not in KEY_STATUSES:
        raise ValueError(f"key {key_id}: status must be one of {KEY_STATUSES}")
    account, existing = key_owner(key_id)
    if existing is not None:
        if (account, existing.user_name) != (backend.account_id, user.name):
            raise ValueError(f"key {key_id} already belongs to {account}/{existing.user_name}")
        existing.status = status
        return
    key = backend.create_access_key(user.name, status=status)
    # moto generates a random id and indexes keys by it (that index is how it
    # maps a request's key to an account), so re-index under the fixed id.
    del backend.access_keys[key.access_key_id]
    key.access_key_id = key_id
    key.secret_access_key = EXAMPLE_SECRET
    backend.access_keys[key_id] = key


def add_user(backend, spec):
    tags = [{"Key": k, "Value": v} for k, v in (spec.get("tags") or {}).items()]
    user = backend.users.get(spec["name"])
    if user is None:
        user = backend.create_user(REGION, spec["name"], path=spec.get("path", "/"), tags=tags)
    elif tags:
        backend.tagger.tag_resource(user.arn, tags)
    for key in spec.get("keys") or []:
        add_key(backend, user, key)


def apply(doc, trusted_advisor):
    """Add a seed document's accounts to moto; `trusted_advisor` replaces that account's check state."""
    for account, spec in (doc.get("accounts") or {}).items():
        backend = iam(account)
        ensure_role(backend)
        for user in spec.get("users") or []:
            add_user(backend, user)
        for queue in spec.get("queues") or []:
            sqs_backends[account][REGION].create_queue(queue)
        if spec.get("trusted_advisor") is not None:
            trusted_advisor.set_state(account, spec["trusted_advisor"])


def keys(account):
    return [
        {"UserName": user.name, "AccessKeyId": key.access_key_id, "Status": key.status}
        for user in list(iam(account).users.values())
        for key in list(user.access_keys)
    ]


def queue_messages(name, account, region=REGION):
    """Bodies of every message in the queue, in flight or not, without receiving them."""
    queue = sqs_backends[account][region].queues.get(name)
    if queue is None:
        raise KeyError(name)
    return [message.body for message in list(queue._messages)]


def lambda_code(name, account, region=REGION):
    """The zip a Lambda function was created with, as uploaded."""
    try:
        return lambda_backends[account][region].get_function(name).code_bytes
    except UnknownFunctionException:
        raise KeyError(name) from None
