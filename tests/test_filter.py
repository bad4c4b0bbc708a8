"""The exposed-keys filter against recorded Trusted Advisor and IAM responses."""
import logging

import pytest
from c7n.exceptions import PolicyExecutionError

import scenario
from c7n_exposedkeys import trustedadvisor
from policyrun import load_policies, operations, run

FILTER_ONLY = {'name': 'find', 'resource': 'iam-user', 'filters': ['exposed-keys']}


def by_name(resources):
    return {r['UserName']: r for r in resources}


def test_flagged_users_match_with_every_detail(placebo_flight, tmp_path, caplog):
    flight = placebo_flight('filter_flagged_users', seed=scenario.seed())
    with caplog.at_level(logging.INFO, 'custodian'):
        [found] = run(FILTER_ONLY, flight.session_factory, tmp_path)
    users = by_name(found)
    assert sorted(users) == ['alice', 'bob', 'carol', 'erin', 'frank', 'grace', 'ivan']
    assert users['alice']['c7n:exposed-keys'] == [{
        'AccessKeyId': 'AKIAIOSFODNN7EXAMPLE', 'FraudType': 'Exposed', 'CaseId': '12345678910',
        'TimeUpdated': scenario.UPDATED_ISO, 'Deadline': scenario.DEADLINE_ISO,
        'Location': scenario.REPO, 'UsageUsdPerDay': '0.25', 'IsSuppressed': False,
        'Status': 'error'}]
    # Only the flagged one of bob's two keys, in the shape core remove-keys reads.
    assert users['bob']['c7n:matched-keys'] == [
        {'AccessKeyId': 'AKIAIOSFODNN2EXAMPLE', 'c7n:match-type': 'exposed'}]
    assert users['carol']['c7n:exposed-keys'][0]['Status'] == 'warning'
    assert users['erin']['c7n:exposed-keys'][0]['IsSuppressed'] is True
    # A row without a key id is reported but gives remove-keys nothing to act on.
    [frank] = users['frank']['c7n:exposed-keys']
    assert frank['AccessKeyId'] is None and frank['FraudType'] == 'Suspected'
    assert users['frank']['c7n:matched-keys'] == []
    assert [e['Location'] for e in users['grace']['c7n:exposed-keys']] == [None]

    log = caplog.text
    assert 'account:123456789012 root key:AKIAROOTKEY01EXAMPLE flagged as Exposed' in log
    assert 'account:123456789012 root key:AKIAROOTKEY02EXAMPLE flagged as Exposed' in log
    assert ('1 flagged key(s) name users this policy does not see (deleted, or removed by an '
            'earlier filter): mallory:AKIAIOSFODNN8EXAMPLE\n') in log
    assert 'skipping row:short-row with 2 cells, expected 8' in log
    assert 'key:AKIAIOSFODNN9EXAMPLE with no user name' in log
    assert 'refreshed:2026-12-03T09:12:44Z' in log
    # One read of the check, one of its headings, and no IAM write.
    assert operations(flight, 'support') == [
        'DescribeTrustedAdvisorCheckResult', 'DescribeTrustedAdvisorChecks']
    assert set(operations(flight, 'iam')) == {'ListUsers', 'GetUser'}


def test_options_narrow_and_policies_share_one_read(placebo_flight, tmp_path):
    flight = placebo_flight('filter_options', seed=scenario.seed())
    narrow = {'name': 'narrow', 'resource': 'iam-user', 'filters': [{
        'type': 'exposed-keys', 'fraud-types': ['exposed'], 'statuses': ['error'],
        'include-suppressed': False}]}
    warnings = {'name': 'warnings', 'resource': 'iam-user', 'filters': [{
        'type': 'exposed-keys', 'statuses': ['warning']}]}
    narrowed, warned = run([narrow, warnings], flight.session_factory, tmp_path)
    # grace's row has no fraud type, so no fraud-type choice can let it go.
    assert sorted(by_name(narrowed)) == ['alice', 'grace', 'ivan']
    assert sorted(by_name(warned)) == ['carol']
    assert operations(flight, 'support').count('DescribeTrustedAdvisorCheckResult') == 1


def test_root_named_user_is_an_iam_user_when_one_exists(placebo_flight, tmp_path):
    users = scenario.USERS + [scenario.user('Root', None, ('AKIAROOTKEY02EXAMPLE', 'Active'))]
    flight = placebo_flight('filter_user_named_root', seed=scenario.seed(users=users))
    [found] = run(FILTER_ONLY, flight.session_factory, tmp_path)
    root = by_name(found)['Root']
    assert [e['AccessKeyId'] for e in root['c7n:exposed-keys']] == ['AKIAROOTKEY02EXAMPLE']
    assert all('AKIAROOTKEY01EXAMPLE' not in str(r) for r in found)


def test_not_available_matches_nothing(placebo_flight, tmp_path, caplog):
    flight = placebo_flight('filter_not_available', seed=scenario.seed(rows=[], status='not_available'))
    with caplog.at_level(logging.INFO, 'custodian.exposedkeys'):
        [found] = run(FILTER_ONLY, flight.session_factory, tmp_path)
    assert found == []
    assert 'check:12Fnkpl8Y5 lists no keys (status:not_available)' in caplog.text
    assert operations(flight, 'support') == ['DescribeTrustedAdvisorCheckResult']


def test_headings_fall_back_to_the_documented_order(placebo_flight, tmp_path, caplog):
    denied = {'DescribeTrustedAdvisorChecks': {
        'code': 'AccessDeniedException', 'status': 400,
        'message': 'User is not authorized to perform: support:DescribeTrustedAdvisorChecks'}}
    flight = placebo_flight('filter_headings_denied', seed=scenario.seed(errors=denied))
    with caplog.at_level(logging.WARNING, 'custodian.exposedkeys'):
        [found] = run(FILTER_ONLY, flight.session_factory, tmp_path)
    assert 'alice' in by_name(found)
    assert 'could not read check headings (AccessDeniedException)' in caplog.text


@pytest.mark.parametrize('name, code, message, expected', scenario.CHECK_ERRORS + [
    ('unknown_id_premium', 'InvalidParameterValueException',
     'Unknown ID: 12Fnkpl8Y5. Amazon Web Services Premium Support Subscription is required',
     'needs a Business, Enterprise On-Ramp or Enterprise support plan'),
])
def test_check_errors_fail_the_policy_with_advice(
        placebo_flight, tmp_path, name, code, message, expected):
    errors = {'DescribeTrustedAdvisorCheckResult': {
        'code': code, 'message': message, 'status': 400}}
    flight = placebo_flight('filter_error_' + name, seed=scenario.seed(errors=errors))
    policy = dict(FILTER_ONLY, actions=['deactivate-exposed-keys'])
    with pytest.raises(PolicyExecutionError) as raised:
        run(policy, flight.session_factory, tmp_path)
    text = str(raised.value)
    assert expected in text and '\n' not in text
    assert message in text
    assert 'UpdateAccessKey' not in operations(flight)


def test_a_failed_read_is_not_repeated_by_the_next_policy(placebo_flight, tmp_path):
    errors = {'DescribeTrustedAdvisorCheckResult': {
        'code': 'InternalServerError', 'message': 'Internal error', 'status': 500}}
    flight = placebo_flight('filter_error_cached', seed=scenario.seed(errors=errors))
    policies = load_policies([dict(FILTER_ONLY, name=n) for n in ('first', 'second')],
                             flight.session_factory, tmp_path)
    trustedadvisor.clear_cache()
    for policy in policies:
        with pytest.raises(PolicyExecutionError, match='so no key was changed; run the policy '
                           'again later. AWS said: InternalServerError: Internal error'):
            policy.run()
    # The second policy gets the first one's failure without asking AWS again.
    assert operations(flight, 'support') == ['DescribeTrustedAdvisorCheckResult']
    assert operations(flight, 'iam') == ['ListUsers'] + ['GetUser'] * 8 + ['ListUsers'] + [
        'GetUser'] * 8
