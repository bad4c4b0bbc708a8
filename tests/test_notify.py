"""notify-exposed-keys: only users with news are sent, and recorded only after the send."""
import base64
import json
import zlib

import pytest
from botocore.exceptions import ClientError
from botocore.stub import ANY
from c7n.exceptions import PolicyExecutionError, PolicyValidationError
from c7n.utils import reset_session_cache

from c7n_exposedkeys.notify import mailer_subject
from c7n_exposedkeys.record import DEFAULT_TAG
from policyrun import load_policies
from stubs import StubFactory

QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/custodian-mailer'
NOTIFY = {'type': 'notify-exposed-keys', 'to': ['resource-owner', 'security@example.com'],
          'transport': {'type': 'sqs', 'queue': 'custodian-mailer'}}
POLICY = {'name': 'exposed-keys', 'resource': 'iam-user', 'filters': ['exposed-keys'],
          'actions': ['deactivate-exposed-keys', NOTIFY]}


@pytest.fixture
def stubbed(tmp_path, monkeypatch):
    monkeypatch.setattr('c7n.utils.time.sleep', lambda s: None)  # c7n's retry backoff
    reset_session_cache()
    factory = StubFactory('iam', 'sqs')
    [policy] = load_policies(POLICY, factory, tmp_path)
    action = policy.resource_manager.actions[1]
    policy.ctx.initialize()
    with factory.stubs['iam'], factory.stubs['sqs']:
        yield factory.stubs['iam'], factory.stubs['sqs'], action
    for stub in factory.stubs.values():
        stub.assert_no_pending_responses()
    reset_session_cache()


def user(name, *entries):
    return {'UserName': name, 'Tags': [{'Key': DEFAULT_TAG, 'Value': 'stale cached value'}],
            'c7n:exposed-keys': [dict(e) for e in entries]}


def key(key_id, outcome, case='12345678910'):
    return {'AccessKeyId': key_id, 'FraudType': 'Exposed', 'CaseId': case,
            'Location': 'https://github.com/example/webapp', 'Deadline': '2026-12-10T09:00:00Z',
            'Outcome': outcome}


def tags(stub, name, value=None, error=None):
    if error:
        stub.add_client_error('list_user_tags', error, expected_params={'UserName': name})
        return
    found = [{'Key': 'OwnerContact', 'Value': '%s@example.com' % name}]
    if value is not None:
        found.append({'Key': DEFAULT_TAG, 'Value': value})
    stub.add_response('list_user_tags', {'Tags': found}, {'UserName': name})


def tag_user(stub, name, value, error=None):
    params = {'UserName': name, 'Tags': [{'Key': DEFAULT_TAG, 'Value': value}]}
    if error:
        stub.add_client_error('tag_user', error, expected_params=params)
    else:
        stub.add_response('tag_user', {}, params)


def sends(iam, sqs, error=None):
    iam.add_response('list_account_aliases', {'AccountAliases': [], 'IsTruncated': False}, {})
    params = {'QueueUrl': QUEUE_URL, 'MessageBody': ANY, 'MessageAttributes': ANY}
    if error:
        sqs.add_client_error('send_message', error, expected_params=params)
    else:
        sqs.add_response('send_message', {'MessageId': 'f0e1d2c3-0000-4000-8000-000000000001'},
                         params)


@pytest.fixture
def sqs_log(stubbed):
    """The SendMessage arguments: Stubber only compares them."""
    iam, sqs, action = stubbed
    sqs.sent = []
    sqs.client.meta.events.register(
        'before-parameter-build.sqs.SendMessage', lambda params, **kw: sqs.sent.append(params))
    return sqs


def message_body(sqs):
    """The one message sent, decoded as c7n-mailer decodes it."""
    [params] = sqs.sent
    return json.loads(zlib.decompress(base64.b64decode(params['MessageBody'])))


def test_only_users_with_news_are_sent_then_recorded(stubbed, sqs_log):
    iam, sqs, action = stubbed
    users = [
        user('alice', key('AKIAIOSFODNN7EXAMPLE', 'deactivated')),
        user('bob', key('AKIAIOSFODNN2EXAMPLE', 'already-inactive', '12345678911')),
        user('carol', key('AKIAI44QH8DH1EXAMPLE', 'gone', '12345678912'),
             key('AKIAI44QH8DH2EXAMPLE', 'already-inactive', '12345678913')),
    ]
    tags(iam, 'alice', 'AKIAIOSFODNN7EXAMPLE=inactive')      # re-enabled since: news
    tags(iam, 'bob', 'AKIAIOSFODNN2EXAMPLE=inactive')        # told already
    tags(iam, 'carol', 'AKIAI44QH8DH1EXAMPLE=inactive AKIAI44QH8DH2EXAMPLE=inactive')
    sends(iam, sqs)
    tag_user(iam, 'alice', 'AKIAIOSFODNN7EXAMPLE=inactive')
    tag_user(iam, 'carol', 'AKIAI44QH8DH1EXAMPLE=gone AKIAI44QH8DH2EXAMPLE=inactive')

    action.process(users)

    message = message_body(sqs)
    assert [r['UserName'] for r in message['resources']] == ['alice', 'carol']
    assert message['action']['type'] == 'notify-exposed-keys'
    assert message['action']['to'] == ['resource-owner', 'security@example.com']
    [alice, carol] = message['resources']
    assert [(e['AccessKeyId'], e['Outcome'], e['New']) for e in carol['c7n:exposed-keys']] == [
        ('AKIAI44QH8DH1EXAMPLE', 'gone', True), ('AKIAI44QH8DH2EXAMPLE', 'already-inactive', False)]
    assert alice['c7n:exposed-keys'][0]['New'] is True
    assert alice['c7n:exposed-keys'][0]['CaseId'] == '12345678910'


def test_nothing_is_sent_or_written_without_news(stubbed):
    iam, sqs, action = stubbed
    tags(iam, 'bob', 'AKIAIOSFODNN2EXAMPLE=inactive')
    tags(iam, 'frank', 'case:12345678915=no-key-id')
    action.process([
        user('bob', key('AKIAIOSFODNN2EXAMPLE', 'already-inactive')),
        user('frank', key(None, 'no-key-id', '12345678915'))])
    # The stubs hold no SendMessage or TagUser: any such call would fail the test.


def test_a_failed_send_writes_no_record(stubbed):
    iam, sqs, action = stubbed
    tags(iam, 'alice')
    sends(iam, sqs, error='AccessDenied')
    with pytest.raises(ClientError, match='AccessDenied'):
        action.process([user('alice', key('AKIAIOSFODNN7EXAMPLE', 'deactivated'))])
    # No TagUser was stubbed: a write would have raised inside the stub.


def test_a_failed_record_is_an_error_and_the_others_are_still_recorded(stubbed, caplog):
    iam, sqs, action = stubbed
    tags(iam, 'alice')
    tags(iam, 'bob')
    sends(iam, sqs)
    tag_user(iam, 'alice', 'AKIAIOSFODNN7EXAMPLE=inactive', error='LimitExceeded')
    tag_user(iam, 'bob', 'AKIAIOSFODNN2EXAMPLE=failed')
    action.process([user('alice', key('AKIAIOSFODNN7EXAMPLE', 'deactivated')),
                    user('bob', key('AKIAIOSFODNN2EXAMPLE', 'failed: AccessDenied'))])
    errors = [r.getMessage() for r in caplog.records if r.levelname == 'ERROR']
    assert any(e.startswith('exposed-keys: user:alice record tag:c7n-exposed-keys-notified '
                            'not written (LimitExceeded: ') for e in errors), errors
    assert ('exposed-keys: policy:exposed-keys 1 user(s) notified but not recorded; they will '
            'be notified again') in errors


def test_throttled_calls_are_retried(stubbed):
    iam, sqs, action = stubbed
    tags(iam, 'alice', error='Throttling')
    tags(iam, 'alice')
    sends(iam, sqs)
    tag_user(iam, 'alice', 'AKIAIOSFODNN7EXAMPLE=inactive', error='Throttling')
    tag_user(iam, 'alice', 'AKIAIOSFODNN7EXAMPLE=inactive')
    action.process([user('alice', key('AKIAIOSFODNN7EXAMPLE', 'deactivated'))])


def test_a_user_gone_is_notified_and_not_recorded(stubbed, sqs_log, caplog):
    iam, sqs, action = stubbed
    tags(iam, 'deleted', error='NoSuchEntity')
    tags(iam, 'racer')
    sends(iam, sqs)
    # racer is deleted between the send and the record
    tag_user(iam, 'racer', 'AKIAIOSFODNN2EXAMPLE=inactive', error='NoSuchEntity')
    action.process([user('deleted', key('AKIAIOSFODNN1EXAMPLE', 'gone')),
                    user('racer', key('AKIAIOSFODNN2EXAMPLE', 'deactivated'))])
    assert [r['UserName'] for r in message_body(sqs)['resources']] == ['deleted', 'racer']
    warnings = [r.getMessage() for r in caplog.records if r.levelname == 'WARNING']
    for name in ('deleted', 'racer'):
        assert ('exposed-keys: user:%s no longer exists: notified, nothing recorded'
                % name) in warnings
    assert not [r for r in caplog.records if r.levelname == 'ERROR']


def test_an_unreadable_record_notifies_every_key(stubbed, caplog):
    iam, sqs, action = stubbed
    tags(iam, 'alice', error='AccessDenied')
    sends(iam, sqs)
    tag_user(iam, 'alice', 'AKIAIOSFODNN7EXAMPLE=inactive')
    action.process([user('alice', key('AKIAIOSFODNN7EXAMPLE', 'already-inactive'))])
    assert ('exposed-keys: user:alice record tag:c7n-exposed-keys-notified unreadable '
            '(AccessDenied): notifying every key of this user') in caplog.text


def test_an_unset_recipient_sends_nothing(tmp_path):
    notify = dict(NOTIFY, to=['{security_email}'])
    [policy] = load_policies(dict(POLICY, actions=[notify]), StubFactory('iam', 'sqs'), tmp_path)
    with pytest.raises(PolicyExecutionError, match=r'recipient \{security_email\} has no value'):
        policy.resource_manager.actions[0].process([user('alice')])


@pytest.mark.parametrize('actions, error', [
    ([NOTIFY, 'deactivate-exposed-keys'],
     'put notify-exposed-keys after deactivate-exposed-keys'),
    ([dict(NOTIFY, **{'record-tag': 'aws:notified'})], 'record-tag'),
    ([dict(NOTIFY, colour='red')], 'colour'),
])
def test_validation(tmp_path, actions, error):
    with pytest.raises(PolicyValidationError, match=error):
        load_policies(dict(POLICY, actions=actions), StubFactory('iam', 'sqs'), tmp_path)


def test_needs_the_filter(tmp_path):
    with pytest.raises(PolicyValidationError, match='notify-exposed-keys needs the exposed-keys'):
        load_policies({'name': 'p', 'resource': 'iam-user', 'actions': [NOTIFY]},
                      StubFactory('iam', 'sqs'), tmp_path)


def test_sns_transport_declares_publish(tmp_path):
    sns = dict(NOTIFY, transport={'type': 'sns', 'topic': 'custodian-mailer'})
    [policy] = load_policies(dict(POLICY, actions=[sns]), StubFactory('iam', 'sqs'), tmp_path)
    assert set(policy.resource_manager.actions[0].get_permissions()) == {
        'iam:ListUserTags', 'iam:TagUser', 'iam:ListAccountAliases', 'sns:Publish'}


@pytest.mark.parametrize('written, variables', [
    ('Exposed keys in account {{ account_id }}', {}),
    ('{{ account }} ({{account_id}}) in {region}', {}),
    ('No placeholders at all', {}),
    ('{{ account_id }} for {team}', {}),  # unknown variable: c7n leaves the string alone
    ('{{ account_id }} for {team}', {'team': 'platform'}),
])
def test_the_subject_reaches_the_mailer_as_written(tmp_path, written, variables):
    # c7n turns {{ }} into { } when it expands variables, and restores it for `notify` only.
    notify = dict(NOTIFY, subject=written)
    [policy] = load_policies(dict(POLICY, actions=[notify]), StubFactory('iam', 'sqs'), tmp_path)
    policy.expand_variables(policy.get_variables(variables))
    [action] = policy.resource_manager.actions
    expected = written.replace('{region}', 'us-east-1').replace('{team}', variables.get(
        'team', '{team}'))
    assert mailer_subject(action.data['subject']) == expected
