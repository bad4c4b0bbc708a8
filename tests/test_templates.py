"""mailer/templates rendered by c7n-mailer's own code, for the cases one demo run does not show:
every outcome, New, a CloudTrail summary, markup in the data, and many users in Slack."""
import email.message
import json
import logging
from datetime import datetime, timezone

import pytest
import requests
from c7n_mailer.slack_delivery import SlackDelivery
from c7n_mailer.utils import get_rendered_jinja

from c7n_exposedkeys import activity, cloudtrail

from localaws import mailbox
from localaws.mailer import TEMPLATES

from test_mailer import SAYS

LOG = logging.getLogger('test-templates')
CONFIG = {'templates_folders': [str(TEMPLATES)], 'slack_token': None, 'contact_tags': []}


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError('the Slack template test must not reach the network')
    monkeypatch.setattr(requests, 'post', refuse)


def entry(key, outcome, case='12345678910', **extra):
    found = {'AccessKeyId': key, 'FraudType': 'Exposed', 'CaseId': case,
             'TimeUpdated': '2026-12-03T09:00:00.000Z', 'Deadline': '2026-12-10T09:00:00.000Z',
             'Location': 'https://github.com/example/webapp/blob/main/settings.py',
             'UsageUsdPerDay': '0.25', 'IsSuppressed': False, 'Status': 'error'}
    if outcome is not None:
        found['Outcome'] = outcome
    found.update(extra)
    return found


def user(name, *entries):
    return {'UserName': name, 'Arn': f'arn:aws:iam::123456789012:user/{name}',
            'Tags': [{'Key': 'OwnerContact', 'Value': f'{name}@example.com'}],
            'c7n:exposed-keys': list(entries)}


def message(*users, to=('resource-owner', 'security@example.com')):
    return {'account_id': '123456789012', 'account': 'example-prod', 'region': 'us-east-1',
            'partition': 'aws', 'event': None, 'execution_start': 1796288400.0,
            'policy': {'name': 'exposed-keys', 'resource': 'iam-user'},
            'action': {'type': 'notify-exposed-keys', 'template': 'exposed-keys.html',
                       'slack_template': 'exposed-keys.slack', 'to': list(to),
                       'violation_desc': 'AWS Trusted Advisor flagged these access keys.',
                       'action_desc': 'Custodian set each flagged key Inactive.'},
            'resources': list(users)}


def html(msg):
    body = get_rendered_jinja(['alice@example.com'], msg, msg['resources'], LOG, 'template',
                              'default', [str(TEMPLATES)])
    assert body, 'c7n-mailer logged a template error'
    mail = email.message.EmailMessage()
    mail.set_content(body, subtype='html')
    return mail, body


def slack(msg, target='slack://#security-alerts'):
    msg['action']['to'] = [target]
    payloads = SlackDelivery(CONFIG, LOG, None).get_to_addrs_slack_messages_map(msg)
    [(address, payload)] = payloads.items()
    return address, json.loads(payload)


def section_texts(payload):
    return [b['text']['text'] for b in payload['blocks'] if b['type'] == 'section']


# exposed-key-activity's summary, as its docstring describes it.
ACTIVITY = {
    'Since': '2026-12-02T09:00:00Z', 'Until': '2026-12-03T09:00:00Z',
    'Regions': ['us-east-1', 'eu-west-1'], 'EventCount': 12,
    'FirstEvent': '2026-12-02T10:00:00Z', 'LastEvent': '2026-12-03T08:00:00Z',
    'TopEventNames': [{'EventName': 'ListBuckets', 'Count': 9},
                      {'EventName': 'GetCallerIdentity', 'Count': 3}],
    'TopSourceIps': [{'SourceIp': '192.0.2.10', 'Count': 12}],
    'Truncated': True,
    'Notes': ['eu-west-1: read the newest 2 page(s) only (max-pages); it has more events']}


EVERY_OUTCOME = user(
    'alice',
    entry('AKIAIOSFODNN7EXAMPLE', 'deactivated', New=True, Activity=ACTIVITY),
    entry('AKIAIOSFODNN1EXAMPLE', 'already-inactive', case='12345678911', New=False),
    entry('AKIAIOSFODNN2EXAMPLE', 'gone', case='12345678912', New=True),
    entry(None, 'no-key-id', case='12345678913', FraudType='Suspected', New=True),
    entry('AKIAIOSFODNN4EXAMPLE', 'failed: AccessDenied', case='12345678914', New=True))


def test_html_names_every_outcome_and_whether_it_is_new():
    mail, _ = html(message(EVERY_OUTCOME))
    rows = {r['Access key']: r for r in mailbox.rows(mail)}
    assert rows['AKIAIOSFODNN7EXAMPLE']['Outcome'] == SAYS['deactivated']
    assert rows['AKIAIOSFODNN1EXAMPLE']['Outcome'] == SAYS['already-inactive']
    assert rows['AKIAIOSFODNN2EXAMPLE']['Outcome'] == SAYS['gone']
    assert rows['(no key id)']['Outcome'] == SAYS['no-key-id']
    assert rows['AKIAIOSFODNN4EXAMPLE']['Outcome'] == (
        'FAILED: AccessDenied (the key may still be Active)')
    assert rows['AKIAIOSFODNN7EXAMPLE']['New'] == 'new'
    assert rows['AKIAIOSFODNN1EXAMPLE']['New'] == 'reported before'
    assert rows['(no key id)']['Fraud type'] == 'Suspected'


def test_html_says_what_to_do_first_when_a_key_was_not_deactivated():
    mail, _ = html(message(EVERY_OUTCOME))
    first = [line for line in mailbox.lines(mail) if line.startswith('First: ')]
    assert len(first) == 3
    assert 'aws iam update-access-key --user-name alice --access-key-id AKIAIOSFODNN4EXAMPLE ' \
           '--status Inactive' in first[2]
    assert "Find which of alice's keys was exposed" in first[1]
    assert 'find its owner' in first[0] and 'AKIAIOSFODNN2EXAMPLE' in first[0]
    steps = mailbox.lines(mail)
    rotate = next(line for line in steps if line.startswith('Rotate '))
    # a gone key is not alice's to rotate
    assert 'AKIAIOSFODNN2EXAMPLE' not in rotate and 'AKIAIOSFODNN7EXAMPLE' in rotate
    cases = next(line for line in steps if line.startswith('Close the AWS support cases '))
    assert all(f'1234567891{n}' in cases for n in range(5))


def test_html_without_new_or_activity_leaves_them_out():
    mail, body = html(message(user('bob', entry('AKIAIOSFODNN7EXAMPLE', 'deactivated'))))
    [row] = mailbox.rows(mail)
    assert row['New'] == ''
    assert 'Recent CloudTrail activity' not in body


def test_html_shows_a_cloudtrail_summary_when_the_entry_has_one():
    mail, _ = html(message(user('bob', entry('AKIAIOSFODNN7EXAMPLE', 'deactivated',
                                             Activity=ACTIVITY))))
    [line] = [line for line in mailbox.lines(mail) if 'Recent CloudTrail activity' in line]
    assert line == (
        'Recent CloudTrail activity of AKIAIOSFODNN7EXAMPLE: at least 12 events from '
        '2026-12-02T09:00:00Z to 2026-12-03T09:00:00Z in us-east-1, eu-west-1; calls: '
        'ListBuckets (9), GetCallerIdentity (3); source IPs: 192.0.2.10 (12); notes: eu-west-1: '
        'read the newest 2 page(s) only (max-pages); it has more events')


def test_html_shows_the_summary_exposed_key_activity_builds():
    """The real filter's summarize(), as it travels in the queued message (JSON)."""
    def event(n, name, ip):
        return {'EventId': f'event-{n}', 'EventName': name,
                'EventTime': datetime(2026, 12, 3, 8, n, tzinfo=timezone.utc),
                'CloudTrailEvent': json.dumps({'sourceIPAddress': ip})}
    read = cloudtrail.Read('us-east-1')
    read.pages = 1
    read.events = [event(1, 'ListBuckets', '192.0.2.10'), event(2, 'ListBuckets', '192.0.2.10'),
                   event(3, 'GetCallerIdentity', '198.51.100.7')]
    summary = activity.summarize([read], datetime(2026, 12, 2, 9, tzinfo=timezone.utc),
                                 datetime(2026, 12, 3, 9, tzinfo=timezone.utc), [])
    mail, _ = html(message(user('bob', entry('AKIAIOSFODNN7EXAMPLE', 'deactivated',
                                             Activity=json.loads(json.dumps(summary))))))
    [line] = [line for line in mailbox.lines(mail) if 'Recent CloudTrail activity' in line]
    assert line == (
        'Recent CloudTrail activity of AKIAIOSFODNN7EXAMPLE: 3 events from 2026-12-02T09:00:00Z '
        'to 2026-12-03T09:00:00Z in us-east-1; calls: ListBuckets (2), GetCallerIdentity (1); '
        'source IPs: 192.0.2.10 (2), 198.51.100.7 (1)')


def test_an_activity_of_another_shape_is_still_shown():
    mail, _ = html(message(user('bob', entry('AKIAIOSFODNN7EXAMPLE', 'deactivated',
                                             Activity={'Calls': ['ListBuckets'], 'Count': 1}))))
    [line] = [line for line in mailbox.lines(mail) if 'Recent CloudTrail activity' in line]
    assert line.endswith(': Calls: ListBuckets; Count: 1')


def test_html_escapes_what_the_finding_says():
    hostile = '<script>alert(1)</script>'
    mail, body = html(message(user('bob', entry('AKIAIOSFODNN7EXAMPLE', 'deactivated',
                                                 Location=hostile, FraudType='<b>x</b>'))))
    assert '<script>' not in body and '<b>x</b>' not in body
    [row] = mailbox.rows(mail)
    assert row['Found at'] == hostile and row['Fraud type'] == '<b>x</b>'


def test_slack_payload_is_json_with_a_line_per_key():
    address, payload = slack(message(EVERY_OUTCOME))
    assert address == payload['channel'] == 'security-alerts'
    [user_text] = [t for t in section_texts(payload) if t.startswith('*IAM user alice*')]
    key_lines = [line for line in user_text.splitlines() if line.startswith('• ')]
    assert len(key_lines) == 5
    assert key_lines[0].startswith('• `AKIAIOSFODNN7EXAMPLE` Exposed, case 12345678910,')
    assert key_lines[0].endswith(f"*{SAYS['deactivated']}* (new)")
    assert key_lines[1].endswith(f"*{SAYS['already-inactive']}* (reported before)")
    assert key_lines[3].startswith('• `(no key id)` Suspected, case 12345678913,')
    assert 'FAILED: AccessDenied' in key_lines[4]
    assert '    CloudTrail: at least 12 events from 2026-12-02T09:00:00Z' in user_text
    steps = next(t for t in section_texts(payload) if t.startswith('*Next steps*'))
    for step in ('Rotate', 'CloudTrail', 'Revoke sessions', 'Close the AWS support case'):
        assert step in steps
    assert payload['text'].startswith('Exposed AWS access keys in account 123456789012: 5 key(s)')


def test_slack_webhook_payload_has_no_channel_and_escapes_markup():
    hook = 'https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX'
    _, payload = slack(message(user('bob', entry('AKIAIOSFODNN7EXAMPLE', 'deactivated',
                                                 Location='<https://example.com|click> & "x"'))),
                       target=hook)
    assert 'channel' not in payload
    [user_text] = [t for t in section_texts(payload) if t.startswith('*IAM user bob*')]
    assert 'found at &lt;https://example.com|click&gt; &amp; "x"' in user_text


def test_slack_stays_within_fifty_blocks():
    users = [user(f'user{n:03d}', entry(f'AKIA{n:09d}EXAMPLE', 'deactivated'))
             for n in range(60)]
    _, payload = slack(message(*users))
    assert len(payload['blocks']) <= 50
    assert any('and 15 more IAM users' in t for t in section_texts(payload))
