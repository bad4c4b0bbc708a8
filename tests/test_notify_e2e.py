"""Notify once per key and outcome: repeated stock `custodian run` sweeps against the local AWS."""
import base64
import json
import time
import zlib
from collections import Counter
from pathlib import Path

from localaws.runner import notifications, run

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / 'policies' / 'exposed-keys.yml'
SNS_POLICY = ROOT / 'policies' / 'exposed-keys-sns.yml'
TAG = 'c7n-exposed-keys-notified'
# c7n-mailer renders the subject with Jinja: it must arrive with its {{ }}.
SUBJECT = 'Exposed AWS access keys in account {{ account_id }}: deactivation results'
# What the first sweep over the demo account records, per user.
RECORDED = {
    'alice': 'AKIAIOSFODNN7EXAMPLE=inactive',
    'bob': 'AKIAIOSFODNN2EXAMPLE=inactive',
    'carol': 'AKIAI44QH8DH1EXAMPLE=inactive',
    'erin': 'AKIAIOSFODNN4EXAMPLE=inactive',
    'frank': 'case:12345678915=no-key-id',
    'grace': 'AKIAI44QH8DH4EXAMPLE=inactive',
    'ci-deploy': 'AKIAI44QH8DH3EXAMPLE=inactive',
}


def sweep(aws, home, vars_file, policy=POLICY):
    """One `custodian run` with c7n's default 15-minute resource cache in HOME."""
    aws.reset_calls()
    out = run(aws, 'custodian', 'run', '-s', home / 'out', '--vars-file', vars_file, policy,
              home=home)
    assert out.returncode == 0, out.stderr
    return Counter(c['operation'] for c in aws.calls()), out.stderr


# exposed-root-keys, in the same file, reminds security about the demo's root key on every
# sweep by design (no IAM user to record it on): one more message per sweep.
ROOT_REMINDER = 1


def user_messages(aws):
    return [m for m in notifications(aws) if m['policy']['name'] != 'exposed-root-keys']


def records(aws):
    iam = aws.client('iam')
    found = {}
    for user in iam.list_users()['Users']:
        for tag in iam.list_user_tags(UserName=user['UserName'])['Tags']:
            if tag['Key'] == TAG:
                found[user['UserName']] = tag['Value']
    return found


def keys_of(message):
    return {e['AccessKeyId'] or e['CaseId']: (e['Outcome'], e['New'])
            for r in message['resources'] for e in r['c7n:exposed-keys']}


def test_a_key_is_notified_once_per_outcome(aws, demo):
    home, vars_file = demo
    started = time.monotonic()
    calls, _ = sweep(aws, home, vars_file)
    [first] = user_messages(aws)
    assert calls['SendMessage'] == 1 + ROOT_REMINDER and calls['TagUser'] == len(RECORDED)
    assert sorted(r['UserName'] for r in first['resources']) == sorted(RECORDED)
    assert keys_of(first) == {
        'AKIAIOSFODNN7EXAMPLE': ('deactivated', True),
        'AKIAIOSFODNN2EXAMPLE': ('deactivated', True),
        'AKIAI44QH8DH1EXAMPLE': ('deactivated', True),
        'AKIAIOSFODNN4EXAMPLE': ('deactivated', True),
        '12345678915': ('no-key-id', True),
        'AKIAI44QH8DH4EXAMPLE': ('deactivated', True),
        'AKIAI44QH8DH3EXAMPLE': ('already-inactive', True),
    }
    alice = next(r for r in first['resources'] if r['UserName'] == 'alice')
    [entry] = alice['c7n:exposed-keys']
    assert (entry['FraudType'], entry['CaseId'], entry['Deadline']) == (
        'Exposed', '12345678910', '2026-12-10T09:00:00.000Z')
    assert entry['Location'] == 'https://github.com/example/webapp/blob/main/settings.py'
    assert first['action']['subject'] == SUBJECT
    assert 'Rotate' in first['action']['action_desc']
    assert first['policy']['metadata']['remediation']
    assert records(aws) == RECORDED

    # Same minute, warm resource cache (no ListUsers/GetUser), Trusted Advisor unchanged.
    calls, stderr = sweep(aws, home, vars_file)
    assert calls['ListUsers'] == 0 and calls['GetUser'] == 0, 'the resource cache was cold'
    assert calls['ListUserTags'] == len(RECORDED)
    assert calls['SendMessage'] == ROOT_REMINDER and calls['TagUser'] == 0
    assert len(user_messages(aws)) == 1
    assert 'users:7 with news:0' in stderr
    assert records(aws) == RECORDED

    # Someone turns alice's key on again: the next sweep deactivates and tells again.
    aws.client('iam').update_access_key(
        UserName='alice', AccessKeyId='AKIAIOSFODNN7EXAMPLE', Status='Active')
    calls, _ = sweep(aws, home, vars_file)
    assert calls['ListUsers'] == 0, 'the resource cache was cold'
    assert calls['UpdateAccessKey'] == 1 and calls['SendMessage'] == 1 + ROOT_REMINDER
    states = {k['AccessKeyId']: k['Status'] for k in aws.keys()}
    assert states['AKIAIOSFODNN7EXAMPLE'] == 'Inactive'
    first_again, second = user_messages(aws)
    assert first_again == first
    assert [r['UserName'] for r in second['resources']] == ['alice']
    assert keys_of(second) == {'AKIAIOSFODNN7EXAMPLE': ('deactivated', True)}
    assert records(aws) == RECORDED
    assert time.monotonic() - started < 60


def test_deleting_the_tag_notifies_again(aws, demo):
    home, vars_file = demo
    sweep(aws, home, vars_file)
    aws.client('iam').untag_user(UserName='bob', TagKeys=[TAG])
    calls, _ = sweep(aws, home, vars_file)
    assert calls['SendMessage'] == 1 + ROOT_REMINDER and calls['TagUser'] == 1
    second = user_messages(aws)[1]
    assert keys_of(second) == {'AKIAIOSFODNN2EXAMPLE': ('already-inactive', True)}
    assert records(aws)['bob'] == RECORDED['bob']


def test_sns_variant_delivers_to_a_subscribed_queue(aws, demo):
    home, vars_file = demo
    topic = aws.client('sns').create_topic(Name='custodian-mailer')['TopicArn']
    sqs = aws.client('sqs')
    inbox = sqs.create_queue(QueueName='sns-inbox')['QueueUrl']
    inbox_arn = sqs.get_queue_attributes(
        QueueUrl=inbox, AttributeNames=['QueueArn'])['Attributes']['QueueArn']
    aws.client('sns').subscribe(TopicArn=topic, Protocol='sqs', Endpoint=inbox_arn)

    calls, _ = sweep(aws, home, vars_file, SNS_POLICY)
    assert calls['Publish'] == 1 and calls['SendMessage'] == 0
    [body] = aws.queue_messages('sns-inbox')
    envelope = json.loads(body)
    assert envelope['TopicArn'] == topic
    assert envelope['MessageAttributes']['mtype']['Value'] == 'maidmsg/1.0'
    message = json.loads(zlib.decompress(base64.b64decode(envelope['Message'])))
    assert message['policy']['name'] == 'exposed-keys-sns'
    assert message['action']['subject'] == SUBJECT
    assert message['action']['to'] == ['resource-owner', 'security@example.com']
    assert sorted(r['UserName'] for r in message['resources']) == sorted(RECORDED)
    assert records(aws) == RECORDED
    # The record is shared with exposed-keys.yml: the SQS policy has nothing new to say.
    calls, _ = sweep(aws, home, vars_file)
    assert calls['SendMessage'] == ROOT_REMINDER and user_messages(aws) == []
