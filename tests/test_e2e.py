"""The stock `custodian` and `c7n-org` commands, run as subprocesses against the local AWS."""
from collections import Counter
from pathlib import Path

import yaml

from localaws import seed
from localaws.runner import notifications, run

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / 'policies' / 'exposed-keys.yml'
MAIN, MEMBER = seed.MAIN, seed.MEMBER


def states(aws, account=MAIN):
    return {k['AccessKeyId']: k['Status'] for k in aws.keys(account=account)}


def assert_remediated(aws, account):
    expected = seed.DEMO_EXPECTED[account]
    final = states(aws, account)
    assert {k: final[k] for k in expected['inactive']} == dict.fromkeys(
        expected['inactive'], 'Inactive')
    assert {k: final[k] for k in expected['unchanged']} == expected['unchanged']


def seeded(account=MAIN):
    """Key id -> status, as the demo seeds them."""
    return {k['id']: k['status']
            for u in seed.demo()['accounts'][account]['users'] for k in u['keys']}


def assert_untouched(aws, account=MAIN):
    assert states(aws, account) == seeded(account)


def operations(aws, account=None):
    return Counter(f"{c['service']}:{c['operation']}" for c in aws.calls()
                   if account in (None, c['account']))


def seeded_active_flagged(account=MAIN):
    before = seeded(account)
    return sum(before[k] == 'Active' for k in seed.DEMO_EXPECTED[account]['inactive'])


def test_custodian_run_deactivates_exactly_the_flagged_keys(aws, demo):
    home, vars_file = demo
    out = run(aws, 'custodian', 'run', '-s', home / 'out', '--cache-period', '0',
              '--vars-file', vars_file, POLICY, home=home)
    assert out.returncode == 0, out.stderr
    assert_remediated(aws, MAIN)
    assert_untouched(aws, MEMBER)
    calls = operations(aws)
    # Two policies in the run, one read of the check.
    assert calls['support:DescribeTrustedAdvisorCheckResult'] == 1
    assert calls['support:DescribeTrustedAdvisorChecks'] == 1
    assert calls['iam:UpdateAccessKey'] == seeded_active_flagged()
    assert not any(op.startswith('iam:Delete') for op in calls)
    [message] = [m for m in notifications(aws) if m['policy']['name'] == 'exposed-keys']
    assert message['action']['to'] == ['resource-owner', 'security@example.com']
    notified = {e['AccessKeyId']: e['Outcome']
                for r in message['resources'] for e in r['c7n:exposed-keys']}
    assert notified['AKIAIOSFODNN7EXAMPLE'] == 'deactivated'
    assert notified['AKIAI44QH8DH3EXAMPLE'] == 'already-inactive'
    assert 'root key:AKIAROOTKEY01EXAMPLE' in out.stderr
    report = run(aws, 'custodian', 'report', '-s', home / 'out', '-p', 'exposed-keys-report',
                 '--format', 'csv', POLICY, home=home)
    assert report.returncode == 0, report.stderr
    assert 'alice' in report.stdout and 'frank' in report.stdout


def test_dryrun_changes_nothing_and_sends_nothing(aws, demo):
    home, vars_file = demo
    out = run(aws, 'custodian', 'run', '--dryrun', '-s', home / 'out', '--cache-period', '0',
              '--vars-file', vars_file, POLICY, home=home)
    assert out.returncode == 0, out.stderr
    assert_untouched(aws)
    assert operations(aws)['iam:UpdateAccessKey'] == 0
    assert notifications(aws) == []


def test_without_vars_file_keys_are_deactivated_and_nothing_is_sent(aws, demo):
    home, _ = demo
    out = run(aws, 'custodian', 'run', '-s', home / 'out', '--cache-period', '0', POLICY,
              home=home)
    assert out.returncode != 0
    assert 'recipient {security_email} has no value; pass it with --vars-file' in out.stderr
    assert_remediated(aws, MAIN)
    assert notifications(aws) == []


def test_account_without_support_plan_fails_loudly_and_touches_nothing(aws, demo):
    home, vars_file = demo
    aws.seed({'accounts': {MAIN: {'trusted_advisor': {'rows': [], 'errors': {
        'DescribeTrustedAdvisorCheckResult': {
            'code': 'SubscriptionRequiredException',
            'message': 'AWS Premium Support Subscription is required to use this service.'}}}}}})
    out = run(aws, 'custodian', 'run', '-s', home / 'out', '--cache-period', '0',
              '--vars-file', vars_file, POLICY, home=home)
    assert out.returncode != 0
    assert 'needs a Business, Enterprise On-Ramp or Enterprise support plan' in out.stderr
    assert_untouched(aws)
    assert notifications(aws) == []


def test_validate_and_schema_see_the_plugin(aws, tmp_path):
    valid = run(aws, 'custodian', 'validate', POLICY, home=tmp_path)
    assert valid.returncode == 0, valid.stderr
    schema = run(aws, 'custodian', 'schema', 'iam-user.filters.exposed-keys', home=tmp_path)
    assert 'Trusted Advisor' in schema.stdout and 'include-suppressed' in schema.stdout
    typo = tmp_path / 'typo.yml'
    typo.write_text(yaml.safe_dump({'policies': [{
        'name': 'typo', 'resource': 'iam-user',
        'filters': [{'type': 'exposed-keys', 'status': ['error']}]}]}))
    invalid = run(aws, 'custodian', 'validate', typo, home=tmp_path)
    assert invalid.returncode != 0 and 'status' in invalid.stderr


def test_c7n_org_remediates_every_account(aws, demo):
    home, _ = demo
    accounts = home / 'accounts.yml'
    accounts.write_text(yaml.safe_dump({'accounts': [
        {'name': name, 'account_id': account, 'regions': ['us-east-1'],
         'role': f'arn:aws:iam::{account}:role/custodian',
         'vars': {'security_email': 'security@example.com'}}
        for name, account in (('main', MAIN), ('member', MEMBER))]}))
    out = run(aws, 'c7n-org', 'run', '-c', accounts, '-u', POLICY, '-s', home / 'out',
              '--cache-period', '0', home=home)
    assert out.returncode == 0, out.stderr
    for account in (MAIN, MEMBER):
        assert_remediated(aws, account)
        calls = operations(aws, account)
        assert calls['support:DescribeTrustedAdvisorCheckResult'] == 1, account
        assert calls['iam:UpdateAccessKey'] == seeded_active_flagged(account), account
        sent = [m['policy']['name'] for m in notifications(aws, account=account)]
        # exposed-root-keys notifies only where Trusted Advisor lists a root key.
        assert sorted(sent) == ['exposed-keys'] + (
            ['exposed-root-keys'] if seed.DEMO_EXPECTED[account]['root'] else []), account
