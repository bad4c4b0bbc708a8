"""deactivate-exposed-keys: exactly the flagged keys go Inactive, every outcome is recorded."""
import json

import pytest
from c7n.exceptions import PolicyExecutionError
from c7n.utils import reset_session_cache

import scenario
from policyrun import key_states, load_policies, operations, run
from stubs import StubFactory

POLICY = {'name': 'deactivate', 'resource': 'iam-user',
          'filters': ['exposed-keys'], 'actions': ['deactivate-exposed-keys']}
SEEDED = {u['name']: {k['id']: k['status'] for k in u['keys']} for u in scenario.USERS}


def updates(flight):
    return [(p['UserName'], p['AccessKeyId'], p['Status'])
            for svc, op, p in flight.calls if op == 'UpdateAccessKey']


def test_exactly_the_flagged_keys_go_inactive(placebo_flight, tmp_path):
    flight = placebo_flight('action_deactivates_flagged_keys', seed=scenario.seed())
    [found] = run(POLICY, flight.session_factory, tmp_path)
    outcomes = {(r['UserName'], e['AccessKeyId']): e['Outcome']
                for r in found for e in r['c7n:exposed-keys']}
    assert outcomes == {
        ('alice', 'AKIAIOSFODNN7EXAMPLE'): 'deactivated',
        ('bob', 'AKIAIOSFODNN2EXAMPLE'): 'deactivated',
        ('carol', 'AKIAI44QH8DH1EXAMPLE'): 'deactivated',
        ('erin', 'AKIAIOSFODNN4EXAMPLE'): 'deactivated',
        ('frank', None): 'no-key-id',
        ('grace', 'AKIAI44QH8DH4EXAMPLE'): 'deactivated',
        ('ivan', 'AKIAI44QH8DH6EXAMPLE'): 'already-inactive',
    }
    # One write per flagged Active key, always naming the user; nothing deleted.
    assert updates(flight) == [
        ('alice', 'AKIAIOSFODNN7EXAMPLE', 'Inactive'),
        ('bob', 'AKIAIOSFODNN2EXAMPLE', 'Inactive'),
        ('carol', 'AKIAI44QH8DH1EXAMPLE', 'Inactive'),
        ('erin', 'AKIAIOSFODNN4EXAMPLE', 'Inactive'),
        ('grace', 'AKIAI44QH8DH4EXAMPLE', 'Inactive'),
    ]
    # One listing per matched user with a key to check: frank's row names none.
    assert operations(flight, 'iam').count('ListAccessKeys') == len(found) - 1
    assert not any(op.startswith('Delete') for op in operations(flight))

    # The proof: read every user's keys back.
    flagged = {k for (_, k), o in outcomes.items() if k}
    for name, seeded in SEEDED.items():
        expected = {k: 'Inactive' if k in flagged else s for k, s in seeded.items()}
        assert key_states(flight, name) == expected, name

    written = json.loads((tmp_path / 'deactivate' / 'deactivate-exposed-keys.json').read_text())
    assert {(w['UserName'], w['AccessKeyId'], w['Outcome']) for w in written} == {
        (u, k, o) for (u, k), o in outcomes.items()}
    metrics = json.loads((tmp_path / 'deactivate' / 'metadata.json').read_text())['metrics']
    counted = {m['MetricName']: m['Value']
               for m in metrics if m['MetricName'].startswith('ExposedKeys')}
    assert counted == {'ExposedKeysDeactivated': 5, 'ExposedKeysAlreadyInactive': 1,
                       'ExposedKeysGone': 0, 'ExposedKeysNoKeyId': 1, 'ExposedKeysFailed': 0}


def test_dryrun_changes_nothing(placebo_flight, tmp_path):
    flight = placebo_flight('action_dryrun', seed=scenario.seed())
    [found] = run(POLICY, flight.session_factory, tmp_path, dryrun=True)
    assert len(found) == 7
    assert 'UpdateAccessKey' not in operations(flight)
    for name in ('alice', 'bob', 'grace'):
        assert key_states(flight, name) == SEEDED[name]


def test_unset_recipient_fails_after_deactivating_and_sends_nothing(placebo_flight, tmp_path):
    flight = placebo_flight('action_unset_recipient', seed=scenario.seed(
        users=scenario.USERS[:1], rows=scenario.ROWS[:1]))
    policy = dict(POLICY, actions=['deactivate-exposed-keys', {
        'type': 'notify', 'to': ['resource-owner', '{security_email}'],
        'transport': {'type': 'sqs', 'queue': 'custodian-mailer'}}])
    with pytest.raises(PolicyExecutionError, match=r'recipient \{security_email\} has no value'):
        run(policy, flight.session_factory, tmp_path)
    assert updates(flight) == [('alice', 'AKIAIOSFODNN7EXAMPLE', 'Inactive')]
    assert 'SendMessage' not in operations(flight)
    assert key_states(flight, 'alice') == {'AKIAIOSFODNN7EXAMPLE': 'Inactive'}
    written = json.loads((tmp_path / 'deactivate' / 'deactivate-exposed-keys.json').read_text())
    assert [w['Outcome'] for w in written] == ['deactivated']


# Races and AWS errors the local AWS can't produce on cue: botocore's Stubber.

@pytest.fixture
def stubbed(tmp_path, monkeypatch):
    monkeypatch.setattr('c7n.utils.time.sleep', lambda s: None)  # c7n's retry backoff
    reset_session_cache()
    factory = StubFactory('iam')
    [policy] = load_policies(POLICY, factory, tmp_path)
    [action] = policy.resource_manager.actions
    policy.ctx.initialize()
    with factory.stub:
        yield factory.stub, action
    factory.stub.assert_no_pending_responses()
    reset_session_cache()


def flagged(name, *keys):
    return {'UserName': name, 'c7n:exposed-keys': [
        {'AccessKeyId': k, 'FraudType': 'Exposed', 'CaseId': '1'} for k in keys]}


def listed(name, **keys):
    return {'AccessKeyMetadata': [
        {'UserName': name, 'AccessKeyId': k, 'Status': s} for k, s in keys.items()]}


def update(stub, name, key, error=None):
    params = {'UserName': name, 'AccessKeyId': key, 'Status': 'Inactive'}
    if error:
        stub.add_client_error('update_access_key', error, expected_params=params)
    else:
        stub.add_response('update_access_key', {}, params)


def test_vanished_users_and_keys_are_gone_and_errors_are_failures(stubbed, caplog):
    stub, action = stubbed
    users = [
        flagged('deleted-user', 'AKIAIOSFODNN1EXAMPLE'),
        flagged('racer', 'AKIAIOSFODNN2EXAMPLE', 'AKIAIOSFODNN3EXAMPLE'),
        flagged('guarded', 'AKIAIOSFODNN4EXAMPLE'),
        flagged('unlistable', 'AKIAIOSFODNN5EXAMPLE'),
        flagged('throttled', 'AKIAIOSFODNN6EXAMPLE'),
    ]
    stub.add_client_error('list_access_keys', 'NoSuchEntity', http_status_code=404,
                          expected_params={'UserName': 'deleted-user'})
    # racer's second key belongs to someone else: never written.
    stub.add_response('list_access_keys', listed('racer', AKIAIOSFODNN2EXAMPLE='Active'),
                      {'UserName': 'racer'})
    update(stub, 'racer', 'AKIAIOSFODNN2EXAMPLE', error='NoSuchEntity')
    stub.add_response('list_access_keys', listed('guarded', AKIAIOSFODNN4EXAMPLE='Active'),
                      {'UserName': 'guarded'})
    update(stub, 'guarded', 'AKIAIOSFODNN4EXAMPLE', error='AccessDenied')
    stub.add_client_error('list_access_keys', 'AccessDenied',
                          expected_params={'UserName': 'unlistable'})
    stub.add_response('list_access_keys', listed('throttled', AKIAIOSFODNN6EXAMPLE='Active'),
                      {'UserName': 'throttled'})
    update(stub, 'throttled', 'AKIAIOSFODNN6EXAMPLE', error='Throttling')
    update(stub, 'throttled', 'AKIAIOSFODNN6EXAMPLE')

    action.process(users)  # never raises over a single key

    assert [[e['Outcome'] for e in u['c7n:exposed-keys']] for u in users] == [
        ['gone'], ['gone', 'gone'], ['failed: AccessDenied'], ['failed: AccessDenied'],
        ['deactivated']]
    levels = {r.getMessage(): r.levelname for r in caplog.records}
    assert levels['exposed-keys: user:racer key:AKIAIOSFODNN3EXAMPLE fraud:Exposed case:1 '
                  'outcome:gone'] == 'WARNING'
    assert levels['exposed-keys: user:guarded key:AKIAIOSFODNN4EXAMPLE fraud:Exposed case:1 '
                  'outcome:failed: AccessDenied'] == 'ERROR'
    assert levels['exposed-keys: policy:deactivate 2 key(s) could not be deactivated; '
                  'see deactivate-exposed-keys.json'] == 'ERROR'


def test_an_unknown_error_on_one_user_leaves_the_next_processed(stubbed):
    stub, action = stubbed
    users = [flagged('first', 'AKIAIOSFODNN1EXAMPLE'), flagged('second', 'AKIAIOSFODNN2EXAMPLE')]
    stub.add_response('list_access_keys', listed('first', AKIAIOSFODNN1EXAMPLE='Active'),
                      {'UserName': 'first'})
    update(stub, 'first', 'AKIAIOSFODNN1EXAMPLE', error='ServiceFailure')
    stub.add_response('list_access_keys', listed('second', AKIAIOSFODNN2EXAMPLE='Active'),
                      {'UserName': 'second'})
    update(stub, 'second', 'AKIAIOSFODNN2EXAMPLE')
    action.process(users)
    assert [u['c7n:exposed-keys'][0]['Outcome'] for u in users] == [
        'failed: ServiceFailure', 'deactivated']
