"""The exposed-keys-event mode: from one AWS exposure event to that one key Inactive."""
import logging

import pytest
from c7n.exceptions import PolicyExecutionError, PolicyValidationError
from c7n.utils import reset_session_cache

import exposureevents as ev
import scenario
from policyrun import key_states, load_policies, operations
from stubs import StubFactory

MODE = {'type': 'exposed-keys-event', 'role': 'arn:aws:iam::123456789012:role/custodian'}
POLICY = {'name': 'on-event', 'resource': 'iam-user', 'mode': MODE,
          'filters': ['exposed-keys'], 'actions': ['deactivate-exposed-keys']}
TO_INACTIVE = ['GetAccessKeyLastUsed', 'GetUser', 'ListAccessKeys', 'UpdateAccessKey']


def push(flight, event, tmp_path, **mode):
    [policy] = load_policies(dict(POLICY, mode=dict(MODE, **mode)),
                             flight.session_factory, tmp_path)
    return policy.push(event)


def entries(resources):
    return {(r['UserName'], e['AccessKeyId']): e for r in resources
            for e in r['c7n:exposed-keys']}


def test_health_event_deactivates_the_named_key_in_four_calls(placebo_flight, tmp_path):
    flight = placebo_flight('mode_health_event', seed=scenario.seed())
    event = ev.health(key='AKIAIOSFODNN2EXAMPLE')
    [bob] = push(flight, event, tmp_path)
    assert operations(flight) == TO_INACTIVE
    assert flight.calls[0][2] == {'AccessKeyId': 'AKIAIOSFODNN2EXAMPLE'}
    assert bob['c7n:exposed-keys'] == [{
        'AccessKeyId': 'AKIAIOSFODNN2EXAMPLE', 'FraudType': 'AWS_RISK_CREDENTIALS_EXPOSED',
        'CaseId': None, 'TimeUpdated': 'Thu, 03 Dec 2026 09:00:00 GMT', 'Deadline': None,
        'Location': None, 'UsageUsdPerDay': None, 'IsSuppressed': False, 'Status': 'error',
        'Outcome': 'deactivated'}]
    assert bob['c7n:matched-keys'] == [
        {'AccessKeyId': 'AKIAIOSFODNN2EXAMPLE', 'c7n:match-type': 'exposed'}]
    # Only the named key of that user: bob's other key stays Active.
    assert key_states(flight, 'bob') == {
        'AKIAIOSFODNN1EXAMPLE': 'Active', 'AKIAIOSFODNN2EXAMPLE': 'Inactive'}


def test_trusted_advisor_event_deactivates_the_named_key(placebo_flight, tmp_path):
    flight = placebo_flight('mode_trusted_advisor_event', seed=scenario.seed())
    [alice] = push(flight, ev.trusted_advisor(status='WARN'), tmp_path)
    assert operations(flight) == TO_INACTIVE
    assert alice['c7n:exposed-keys'] == [{
        'AccessKeyId': 'AKIAIOSFODNN7EXAMPLE', 'FraudType': 'Exposed', 'CaseId': '12345678910',
        'TimeUpdated': scenario.UPDATED_ISO, 'Deadline': scenario.DEADLINE_ISO,
        'Location': scenario.REPO, 'UsageUsdPerDay': '0.25', 'IsSuppressed': False,
        'Status': 'warning', 'Outcome': 'deactivated'}]
    assert key_states(flight, 'alice') == {'AKIAIOSFODNN7EXAMPLE': 'Inactive'}


def test_one_event_naming_keys_of_two_users(placebo_flight, tmp_path):
    flight = placebo_flight('mode_two_users', seed=scenario.seed())
    event = ev.health(key='AKIAIOSFODNN2EXAMPLE', location='eventMetadata', user='bob',
                      affectedEntities=[{'entityValue': 'AKIAI44QH8DH1EXAMPLE'}])
    found = push(flight, event, tmp_path)
    assert sorted(entries(found)) == [
        ('bob', 'AKIAIOSFODNN2EXAMPLE'), ('carol', 'AKIAI44QH8DH1EXAMPLE')]
    assert sorted(operations(flight)) == sorted(TO_INACTIVE * 2)
    assert key_states(flight, 'bob')['AKIAIOSFODNN1EXAMPLE'] == 'Active'
    assert key_states(flight, 'carol') == {'AKIAI44QH8DH1EXAMPLE': 'Inactive'}


def test_c7n_get_resources_would_call_get_user_twice(placebo_flight, tmp_path):
    # Why the mode calls GetUser itself: c7n's iam-user get_resources reads the user,
    # then augment() reads it again (and without retry).
    flight = placebo_flight('mode_c7n_get_resources', seed=scenario.seed())
    [policy] = load_policies(POLICY, flight.session_factory, tmp_path)
    [bob] = policy.resource_manager.get_resources(['bob'])
    assert bob['UserName'] == 'bob'
    assert operations(flight) == ['GetUser', 'GetUser']


def test_a_key_that_no_longer_exists_is_logged_and_ignored(placebo_flight, tmp_path, caplog):
    flight = placebo_flight('mode_gone_key', seed=scenario.seed())
    with caplog.at_level(logging.INFO, 'custodian.exposedkeys'):
        assert push(flight, ev.health(key='AKIAIOSFODNN9EXAMPLE'), tmp_path) == []
    assert operations(flight) == ['GetAccessKeyLastUsed']
    assert 'key:AKIAIOSFODNN9EXAMPLE no longer exists; nothing to do' in caplog.text


def test_a_key_the_event_pins_on_another_user_is_not_touched(placebo_flight, tmp_path, caplog):
    flight = placebo_flight('mode_wrong_owner', seed=scenario.seed())
    with caplog.at_level(logging.WARNING, 'custodian.exposedkeys'):
        assert push(flight, ev.trusted_advisor(user='carol'), tmp_path) == []
    assert operations(flight) == ['GetAccessKeyLastUsed']
    assert ('key:AKIAIOSFODNN7EXAMPLE the event names user:carol but IAM says user:alice owns '
            'it; not touched') in caplog.text
    assert key_states(flight, 'alice') == {'AKIAIOSFODNN7EXAMPLE': 'Active'}


def test_trusted_advisor_item_without_a_key_matches_its_user_with_no_key(
        placebo_flight, tmp_path):
    flight = placebo_flight('mode_no_key_id', seed=scenario.seed())
    event = ev.trusted_advisor(key='', user='frank', **{'Fraud Type': 'Suspected'})
    [frank] = push(flight, event, tmp_path)
    # Nothing to deactivate and no listing needed: the sweep's no-key-id outcome.
    assert operations(flight) == ['GetUser']
    assert [(e['AccessKeyId'], e['Outcome']) for e in frank['c7n:exposed-keys']] == [
        (None, 'no-key-id')]
    assert key_states(flight, 'frank') == {'AKIAIOSFODNN5EXAMPLE': 'Active'}


@pytest.mark.parametrize('event', [
    ev.unrelated(),
    ev.health(code='AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED'),
    ev.health(location='eventMetadata', user='<root_account>'),
    ev.trusted_advisor(user='arn:aws:iam::123456789012:root'),
    ev.trusted_advisor(status='OK'),
    ev.health(statusCode='closed'),
    ev.envelope('aws.health', 'AWS Health Event', ev.health()['detail'], account='111122223333'),
    ev.health(affectedAccount='111122223333'),  # an organizational view's member account
    ev.envelope('aws.health', 'AWS Health Event', ev.health()['detail'], account=111122223333),
], ids=['unrelated', 'other-code', 'health-root', 'ta-root', 'ta-ok', 'health-closed',
        'other-account', 'other-affected-account', 'other-account-as-number'])
def test_events_to_leave_alone_make_no_aws_call(event, tmp_path, caplog):
    reset_session_cache()
    with caplog.at_level(logging.INFO, 'custodian.exposedkeys'):
        assert push(NoAWS(), event, tmp_path) in ([], None)
    assert len([r for r in caplog.records if r.name == 'custodian.exposedkeys']) == 1


def test_codes_can_be_overridden_in_the_policy(tmp_path, caplog):
    with caplog.at_level(logging.INFO, 'custodian.exposedkeys'):
        push(NoAWS(), ev.health(code='AWS_RISK_IAM_QUARANTINE'), tmp_path,
             **{'health-event-codes': ['AWS_RISK_CREDENTIALS_EXPOSED']})
    assert ('ignoring event:7bf73129-1428-4cd3-a780-95db273d1602: it is a Health event with '
            'code AWS_RISK_IAM_QUARANTINE, not one of AWS_RISK_CREDENTIALS_EXPOSED'
            ) in caplog.text


class NoAWS:
    """A session factory for paths that must make no AWS call at all."""
    region = 'us-east-1'

    def __call__(self, *args, **kw):
        raise AssertionError('no AWS call expected')

    @property
    def session_factory(self):
        return self


# Answers the local AWS can't give: root owners, errors. botocore's Stubber.

@pytest.fixture
def stubbed(monkeypatch):
    monkeypatch.setattr('c7n.utils.time.sleep', lambda s: None)  # c7n's retry backoff
    reset_session_cache()
    factory = StubFactory('iam')
    with factory.stub:
        yield factory
    factory.stub.assert_no_pending_responses()
    reset_session_cache()


def last_used(stub, key, user):
    stub.add_response('get_access_key_last_used', {'UserName': user, 'AccessKeyLastUsed': {
        'Region': 'N/A', 'ServiceName': 'N/A'}}, {'AccessKeyId': key})


@pytest.mark.parametrize('owner', ['<root_account>', 'arn:aws:iam::123456789012:root', 'root'])
def test_a_root_owner_is_logged_and_ignored(stubbed, tmp_path, caplog, owner):
    last_used(stubbed.stub, 'AKIAROOTKEY01EXAMPLE', owner)
    if owner == 'root':
        # A bare 'root' is an IAM user only if one has that name.
        stubbed.stub.add_client_error('get_user', 'NoSuchEntity', http_status_code=404,
                                      expected_params={'UserName': 'root'})
    with caplog.at_level(logging.WARNING, 'custodian.exposedkeys'):
        assert push(stubbed, ev.health(key='AKIAROOTKEY01EXAMPLE'), tmp_path) == []
    assert ('account:123456789012 root key:AKIAROOTKEY01EXAMPLE named by an exposure event; '
            'root keys need a person signed in as root') in caplog.text


def test_an_iam_user_named_root_is_acted_on(stubbed, tmp_path):
    key = 'AKIAROOTKEY02EXAMPLE'
    last_used(stubbed.stub, key, 'root')
    stubbed.stub.add_response('get_user', {'User': user('root')}, {'UserName': 'root'})
    stubbed.stub.add_response('list_access_keys', {'AccessKeyMetadata': [
        {'UserName': 'root', 'AccessKeyId': key, 'Status': 'Active'}]}, {'UserName': 'root'})
    stubbed.stub.add_response('update_access_key', {}, {
        'UserName': 'root', 'AccessKeyId': key, 'Status': 'Inactive'})
    [root] = push(stubbed, ev.health(key=key), tmp_path)
    assert root['c7n:exposed-keys'][0]['Outcome'] == 'deactivated'


def test_a_failed_lookup_fails_the_invocation_after_the_other_keys(stubbed, tmp_path, caplog):
    event = ev.health(key='AKIAIOSFODNN1EXAMPLE',
                      additionalDetails={'AccessKeyId': 'AKIAIOSFODNN2EXAMPLE'})
    stubbed.stub.add_client_error('get_access_key_last_used', 'AccessDenied', 'not authorized',
                                  expected_params={'AccessKeyId': 'AKIAIOSFODNN1EXAMPLE'})
    last_used(stubbed.stub, 'AKIAIOSFODNN2EXAMPLE', 'bob')
    stubbed.stub.add_response('get_user', {'User': user('bob')}, {'UserName': 'bob'})
    stubbed.stub.add_response('list_access_keys', {'AccessKeyMetadata': [
        {'UserName': 'bob', 'AccessKeyId': 'AKIAIOSFODNN2EXAMPLE', 'Status': 'Active'}]},
        {'UserName': 'bob'})
    stubbed.stub.add_response('update_access_key', {}, {
        'UserName': 'bob', 'AccessKeyId': 'AKIAIOSFODNN2EXAMPLE', 'Status': 'Inactive'})
    with pytest.raises(PolicyExecutionError, match=r'policy:on-event could not resolve '
                       r'key:AKIAIOSFODNN1EXAMPLE; see the errors above'):
        push(stubbed, event, tmp_path)
    assert ('key:AKIAIOSFODNN1EXAMPLE GetAccessKeyLastUsed failed: AccessDenied: '
            'not authorized') in caplog.text


def test_throttling_is_retried(stubbed, tmp_path):
    stubbed.stub.add_client_error('get_access_key_last_used', 'Throttling',
                                  expected_params={'AccessKeyId': 'AKIAIOSFODNN7EXAMPLE'})
    last_used(stubbed.stub, 'AKIAIOSFODNN7EXAMPLE', 'alice')
    stubbed.stub.add_client_error('get_user', 'Throttling',
                                  expected_params={'UserName': 'alice'})
    stubbed.stub.add_response('get_user', {'User': user('alice')}, {'UserName': 'alice'})
    stubbed.stub.add_response('list_access_keys', {'AccessKeyMetadata': []},
                              {'UserName': 'alice'})
    [alice] = push(stubbed, ev.health(), tmp_path)
    assert alice['c7n:exposed-keys'][0]['Outcome'] == 'gone'


def user(name):
    return {'UserName': name, 'Path': '/', 'UserId': 'AIDACKCEVSQ6C2EXAMPLE',
            'Arn': 'arn:aws:iam::123456789012:user/%s' % name,
            'CreateDate': '2026-01-01T00:00:00Z'}


# Validation.

def load(**changes):
    return load_policies(dict(POLICY, **changes), NoAWS(), '/tmp')


def test_handler_and_package_default_to_the_plugins():
    [policy] = load()
    from c7n_exposedkeys.eventrule import ExposureEventLambda
    func = ExposureEventLambda.__new__(ExposureEventLambda)
    func.policy = policy
    assert func.handler == 'c7n_exposedkeys.handler.run'
    assert func.packages == ['c7n_exposedkeys']
    policy.data['mode']['packages'] = ['requests']
    assert func.packages == ['requests', 'c7n_exposedkeys']


def test_another_handler_is_refused():
    with pytest.raises(PolicyValidationError, match=(
            r'policy:on-event uses exposed-keys in exposed-keys-event mode: set mode.handler '
            r'to c7n_exposedkeys\.handler\.run or leave it out')):
        load(mode=dict(MODE, handler='custodian_policy.run'))


def test_the_mode_needs_the_filter_and_iam_users():
    with pytest.raises(PolicyValidationError, match='needs the exposed-keys filter'):
        load(filters=[], actions=[])
    with pytest.raises(PolicyValidationError, match='works on iam-user, not iam-role'):
        load(resource='iam-role', filters=[], actions=[])


def test_a_pattern_of_ones_own_is_refused():
    with pytest.raises(PolicyValidationError, match="'pattern' was unexpected"):
        load(mode=dict(MODE, pattern={'source': ['aws.health']}))


def test_permissions_name_the_lookups_and_no_trusted_advisor_read():
    [policy] = load()
    assert set(policy.get_execution_mode().get_permissions()) == {
        'iam:GetAccessKeyLastUsed', 'iam:GetUser'}
    assert not any(p.startswith('support:') for p in policy.get_permissions())
