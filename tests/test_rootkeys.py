"""The account filter exposed-root-keys against recorded Trusted Advisor and IAM responses."""
import logging

import boto3
import pytest
from botocore.stub import Stubber
from c7n.exceptions import PolicyExecutionError
from c7n.utils import reset_session_cache

import scenario
from c7n_exposedkeys import findings, trustedadvisor
from localaws.seed import DEADLINE, UPDATED, row
from policyrun import load_policies, operations, run

ROOT = {'name': 'root', 'resource': 'account', 'filters': ['exposed-root-keys']}
USERS = {'name': 'users', 'resource': 'iam-user', 'filters': ['exposed-keys']}
ROOT_KEYS = ('AKIAROOTKEY01EXAMPLE', 'AKIAROOTKEY02EXAMPLE')
NOT_ROOT = [r for r in scenario.ROWS
            if not any(k in r['metadata'] for k in ROOT_KEYS)]
ROOT_ONLY = [
    row('error', 'AKIAROOTKEY01EXAMPLE', '<root_account>', 'Exposed', '12345678916',
        UPDATED, scenario.REPO, DEADLINE, '0', region=None),
    # The same key listed twice is one entry.
    row('error', 'AKIAROOTKEY01EXAMPLE', '<root_account>', 'Exposed', '12345678916',
        UPDATED, scenario.REPO, DEADLINE, '0', region=None),
    row('warning', 'AKIAROOTKEY02EXAMPLE', 'root', 'Potentially compromised', '12345678917',
        UPDATED, '', '', ''),
    row('error', 'AKIAROOTKEY03EXAMPLE', 'arn:aws:iam::123456789012:root', 'Suspected',
        '12345678918', '', '', '', '', suppressed=True),
    # Green: handled, never matches.
    row('ok', 'AKIAROOTKEY04EXAMPLE', '<root_account>', 'Exposed', '12345678800',
        UPDATED, '', '', ''),
]
FIRST = {
    'AccessKeyId': 'AKIAROOTKEY01EXAMPLE', 'FraudType': 'Exposed', 'CaseId': '12345678916',
    'TimeUpdated': scenario.UPDATED_ISO, 'Deadline': scenario.DEADLINE_ISO,
    'Location': scenario.REPO, 'UsageUsdPerDay': '0', 'IsSuppressed': False, 'Status': 'error'}


def keys(account):
    return [e['AccessKeyId'] for e in account['c7n:exposed-keys']]


def test_root_rows_match_the_account_and_nothing_is_written(placebo_flight, tmp_path):
    flight = placebo_flight('rootkeys_root_only', seed=scenario.seed(rows=ROOT_ONLY))
    [[account]] = run(ROOT, flight.session_factory, tmp_path)
    assert account['account_id'] == '123456789012'
    assert keys(account) == [
        'AKIAROOTKEY01EXAMPLE', 'AKIAROOTKEY02EXAMPLE', 'AKIAROOTKEY03EXAMPLE']
    # The same fields, in the same form, as exposed-keys writes on users.
    assert account['c7n:exposed-keys'][0] == FIRST
    assert account['c7n:exposed-keys'][1]['Status'] == 'warning'
    assert account['c7n:exposed-keys'][2]['IsSuppressed'] is True
    # A bare "root" needs one IAM read to rule out a user of that name; no IAM write.
    assert operations(flight) == [
        'ListAccountAliases', 'DescribeTrustedAdvisorCheckResult',
        'DescribeTrustedAdvisorChecks', 'ListUsers']


def test_options_select_root_rows_like_exposed_keys(placebo_flight, tmp_path):
    flight = placebo_flight('rootkeys_options', seed=scenario.seed(rows=ROOT_ONLY))
    strict = dict(ROOT, name='strict', filters=[{
        'type': 'exposed-root-keys', 'statuses': ['error'], 'include-suppressed': False}])
    fraud = dict(ROOT, name='fraud', filters=[{
        'type': 'exposed-root-keys', 'fraud-types': ['potentially COMPROMISED']}])
    none = dict(ROOT, name='none', filters=[{
        'type': 'exposed-root-keys', 'statuses': ['warning'], 'fraud-types': ['Exposed']}])
    [strict_found], [fraud_found], none_found = run(
        [strict, fraud, none], flight.session_factory, tmp_path)
    assert keys(strict_found) == ['AKIAROOTKEY01EXAMPLE']
    assert keys(fraud_found) == ['AKIAROOTKEY02EXAMPLE']
    assert none_found == []
    assert operations(flight, 'support').count('DescribeTrustedAdvisorCheckResult') == 1


def test_root_and_user_policies_share_one_read(placebo_flight, tmp_path, caplog):
    flight = placebo_flight('rootkeys_with_users', seed=scenario.seed())
    with caplog.at_level(logging.WARNING, 'custodian.exposedkeys'):
        users, [account] = run([USERS, ROOT], flight.session_factory, tmp_path)
    assert sorted(u['UserName'] for u in users) == [
        'alice', 'bob', 'carol', 'erin', 'frank', 'grace', 'ivan']
    assert keys(account) == list(ROOT_KEYS)
    assert not any(k in str(users) for k in ROOT_KEYS)
    assert operations(flight, 'support') == [
        'DescribeTrustedAdvisorCheckResult', 'DescribeTrustedAdvisorChecks']
    assert not any(op.startswith(('Update', 'Delete', 'Create', 'Put', 'Attach', 'Tag'))
                   for op in operations(flight))
    # The user filter's root warning points at the policy that handles root keys.
    assert ('root key:AKIAROOTKEY01EXAMPLE flagged as Exposed; root keys need a person signed '
            'in as root') in caplog.text
    assert 'policy exposed-root-keys (resource account) notifies them' in caplog.text


def test_no_root_rows_match_nothing(placebo_flight, tmp_path):
    flight = placebo_flight('rootkeys_no_root_rows', seed=scenario.seed(rows=NOT_ROOT))
    [found] = run(ROOT, flight.session_factory, tmp_path)
    assert found == []
    assert 'ListUsers' not in operations(flight)


def test_a_user_named_root_is_left_to_exposed_keys(placebo_flight, tmp_path, caplog):
    users = scenario.USERS + [scenario.user('Root', None, ('AKIAROOTKEY02EXAMPLE', 'Active'))]
    flight = placebo_flight('rootkeys_user_named_root', seed=scenario.seed(users=users))
    with caplog.at_level(logging.INFO, 'custodian.exposedkeys'):
        [[account]] = run(ROOT, flight.session_factory, tmp_path)
    assert keys(account) == ['AKIAROOTKEY01EXAMPLE']
    assert 'key:AKIAROOTKEY02EXAMPLE names IAM user root, left to exposed-keys' in caplog.text


@pytest.mark.parametrize('name, code, message, expected', scenario.CHECK_ERRORS + [
    ('internal', 'InternalServerError', 'Internal error',
     'could not be read on account 123456789012, so no key was changed; run the policy '
     'again later. AWS said: InternalServerError: Internal error'),
])
def test_check_errors_fail_with_the_user_filters_messages(
        placebo_flight, tmp_path, name, code, message, expected):
    errors = {'DescribeTrustedAdvisorCheckResult': {
        'code': code, 'message': message, 'status': 500 if code == 'InternalServerError' else 400}}
    flight = placebo_flight('rootkeys_error_' + name, seed=scenario.seed(errors=errors))
    policies = load_policies([ROOT, USERS], flight.session_factory, tmp_path)
    trustedadvisor.clear_cache()
    raised = []
    for policy in policies:
        with pytest.raises(PolicyExecutionError) as e:
            policy.run()
        raised.append(str(e.value))
    # The same one-line message from both filters, and the user policy never asks again.
    assert raised[0] == raised[1]
    assert expected in raised[0] and message in raised[0] and '\n' not in raised[0]
    assert operations(flight, 'support') == ['DescribeTrustedAdvisorCheckResult']


NOTIFY = {'type': 'notify', 'to': ['{security_email}'],
          'transport': {'type': 'sqs', 'queue': 'custodian-mailer'}}


def test_unset_recipient_fails_before_notify(placebo_flight, tmp_path):
    flight = placebo_flight('rootkeys_unset_recipient', seed=scenario.seed(rows=ROOT_ONLY[:1]))
    policy = dict(ROOT, actions=[NOTIFY])
    with pytest.raises(PolicyExecutionError, match=(
            r'^policy:root root key\(s\) AKIAROOTKEY01EXAMPLE are exposed but notify was not '
            r'sent: recipient \{security_email\} has no value; pass it with --vars-file')):
        run(policy, flight.session_factory, tmp_path)
    # --dryrun sends nothing anyway, so it reports instead of failing.
    [[account]] = run(policy, flight.session_factory, tmp_path, dryrun=True)
    assert keys(account) == ['AKIAROOTKEY01EXAMPLE']
    assert 'SendMessage' not in operations(flight)


def test_unreadable_user_list_counts_a_bare_root_row_as_root(tmp_path, caplog):
    iam = boto3.Session(
        region_name='us-east-1', aws_access_key_id='AKIAIOSFODNN7EXAMPLE',
        aws_secret_access_key='wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY').client('iam')

    class Factory:
        region = 'us-east-1'

        def __call__(self, *args, **kw):
            return self

        def client(self, name, **kw):
            assert name == 'iam', name
            return iam

    reset_session_cache()
    [policy] = load_policies(ROOT, Factory(), tmp_path)
    [flt] = policy.resource_manager.filters
    check = trustedadvisor.CheckResult('123456789012', findings.parse_rows(ROOT_ONLY, None))
    with Stubber(iam) as stub, caplog.at_level(logging.WARNING, 'custodian.exposedkeys'):
        stub.add_client_error('list_users', 'AccessDenied', 'not authorized: iam:ListUsers')
        entries = flt.root_entries(check)
        stub.assert_no_pending_responses()
    reset_session_cache()
    assert [e['AccessKeyId'] for e in entries] == [
        'AKIAROOTKEY01EXAMPLE', 'AKIAROOTKEY02EXAMPLE', 'AKIAROOTKEY03EXAMPLE']
    assert ("account:123456789012 could not list IAM users (AccessDenied), so a row naming "
            "'root' counts as the root user") in caplog.text
