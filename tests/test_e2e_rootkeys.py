"""exposed-root-keys and the README's report commands, through the stock CLI on the local AWS."""
import csv
import io
import json
import os
import re
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest
import yaml

from localaws import seed
from localaws.runner import notifications, run

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / 'policies' / 'exposed-keys.yml'
README = ROOT / 'README.md'
MAIN = seed.MAIN
ROOT_KEY = 'AKIAROOTKEY01EXAMPLE'
# Anything that changes IAM; the root policy must make none of these.
IAM_WRITES = re.compile(r'^iam:(Update|Delete|Create|Put|Attach|Detach|Tag|Untag|Remove|Add|'
                        r'Deactivate|Enable|Set|Change|Reset|Upload)')


def demo(rows=None):
    """The demo scenario's main account, optionally with other Trusted Advisor rows."""
    scenario = seed.demo()
    account = scenario['accounts'][MAIN]
    if rows is not None:
        account['trusted_advisor']['rows'] = rows(account['trusted_advisor']['rows'])
    return {'accounts': {MAIN: account}}


def is_root_row(row):
    return row['metadata'][0] == ROOT_KEY


@pytest.fixture
def home(aws, tmp_path):
    aws.reset()
    (tmp_path / 'vars.yml').write_text('security_email: security@example.com\n')
    return tmp_path


def key_states(aws):
    return {k['AccessKeyId']: k['Status'] for k in aws.keys(account=MAIN)}


def operations(aws):
    return Counter(f"{c['service']}:{c['operation']}" for c in aws.calls()
                   if c['account'] == MAIN)


def by_policy(aws):
    return {m['policy']['name']: m for m in notifications(aws)}


def root_only_file(tmp_path):
    """The shipped exposed-root-keys policy alone: c7n loads no iam-user resource for it."""
    [policy] = [p for p in yaml.safe_load(POLICY.read_text())['policies']
                if p['name'] == 'exposed-root-keys']
    path = tmp_path / 'root-only.yml'
    path.write_text(yaml.safe_dump({'policies': [policy]}))
    return path


def test_account_only_policy_loads_the_plugin_and_notifies_without_writing(aws, home):
    aws.seed(demo())
    before = key_states(aws)
    out = run(aws, 'custodian', 'run', '-s', home / 'out', '--cache-period', '0',
              '--vars-file', home / 'vars.yml', root_only_file(home), home=home)
    assert out.returncode == 0, out.stderr
    [message] = notifications(aws)
    assert message['policy']['name'] == 'exposed-root-keys'
    assert message['action']['to'] == ['security@example.com']
    assert 'sts:AssumeRoot' in message['action']['action_desc']
    [account] = message['resources']
    assert account['account_id'] == MAIN
    [entry] = account['c7n:exposed-keys']
    assert (entry['AccessKeyId'], entry['FraudType'], entry['CaseId'], entry['Status']) == (
        ROOT_KEY, 'Exposed', '12345678916', 'error')
    calls = operations(aws)
    assert not [op for op in calls if IAM_WRITES.match(op)]
    assert {op for op in calls if op.startswith('iam:')} == {'iam:ListAccountAliases'}
    assert calls['support:DescribeTrustedAdvisorCheckResult'] == 1
    assert key_states(aws) == before


def test_account_only_policy_fails_with_the_user_filters_message(aws, home):
    aws.seed(demo())
    aws.seed({'accounts': {MAIN: {'trusted_advisor': {'rows': [], 'errors': {
        'DescribeTrustedAdvisorCheckResult': {
            'code': 'SubscriptionRequiredException',
            'message': 'AWS Premium Support Subscription is required to use this service.'}}}}}})
    out = run(aws, 'custodian', 'run', '-s', home / 'out', '--cache-period', '0',
              '--vars-file', home / 'vars.yml', root_only_file(home), home=home)
    assert out.returncode != 0
    assert ('Trusted Advisor check 12Fnkpl8Y5 (Exposed Access Keys) needs a Business, '
            'Enterprise On-Ramp or Enterprise support plan on account 123456789012') in out.stderr
    assert notifications(aws) == []


def test_schema_and_validate_know_the_account_filter(aws, tmp_path):
    schema = run(aws, 'custodian', 'schema', 'account.filters.exposed-root-keys', home=tmp_path)
    assert schema.returncode == 0, schema.stderr
    assert 'root user' in schema.stdout and 'include-suppressed' in schema.stdout
    valid = run(aws, 'custodian', 'validate', root_only_file(tmp_path), home=tmp_path)
    assert valid.returncode == 0, valid.stderr


@pytest.mark.parametrize('case, rows, notified', [
    ('root row only', lambda rows: [r for r in rows if is_root_row(r)], ['exposed-root-keys']),
    ('no root rows', lambda rows: [r for r in rows if not is_root_row(r)], ['exposed-keys']),
])
def test_the_shipped_file_notifies_root_keys_only_when_listed(aws, home, case, rows, notified):
    # Root and user rows together: test_readme_report_commands_... below.
    aws.seed(demo(rows))
    out = run(aws, 'custodian', 'run', '-s', home / 'out', '--cache-period', '0',
              '--vars-file', home / 'vars.yml', POLICY, home=home)
    assert out.returncode == 0, out.stderr
    sent = by_policy(aws)
    assert sorted(sent) == notified
    calls = operations(aws)
    # Three policies, one read of the check.
    assert calls['support:DescribeTrustedAdvisorCheckResult'] == 1
    if notified == ['exposed-root-keys']:
        # Only root rows: no user matches, and the root policy writes nothing to IAM.
        assert not [op for op in calls if IAM_WRITES.match(op)]
    if 'exposed-root-keys' in sent:
        [account] = sent['exposed-root-keys']['resources']
        assert [e['AccessKeyId'] for e in account['c7n:exposed-keys']] == [ROOT_KEY]
        assert f'root key:{ROOT_KEY}' in out.stderr and 'policy exposed-root-keys' in out.stderr
    # No update ever names a root key (it isn't an IAM user's key to update).
    assert ROOT_KEY not in key_states(aws)


def readme_block(heading, containing):
    """The first ```sh block under a README heading that holds `containing`, dedented."""
    section = README.read_text().split(f'\n{heading}\n', 1)[1].split('\n## ', 1)[0]
    blocks = [textwrap.dedent(b) for b in re.findall(r'```sh\n(.*?)```', section, re.S)]
    return next(b for b in blocks if containing in b)


def shell(aws, script, home, cwd):
    """Run README lines with bash, the venv's commands first on PATH."""
    env = aws.env(home)
    env['PATH'] = os.pathsep.join([str(Path(sys.executable).parent), env['PATH']])
    return subprocess.run(['bash', '-euo', 'pipefail', '-c', script], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)


def grids(text):
    """Each tabulate grid table in the text, as a list of row dicts."""
    tables, previous = [], ''
    for line in text.splitlines():
        if line.startswith('+') and not previous.startswith('|'):
            tables.append([])  # a border not closing rows opens a new table
        elif line.startswith('|'):
            tables[-1].append([c.strip() for c in line.strip('|').split('|')])
        previous = line
    return [[dict(zip(rows[0], cells)) for cells in rows[1:]] for rows in tables]


@pytest.fixture
def workdir(home):
    """A folder laid out like a clone: policies/ holds the shipped file and a vars.yml."""
    (home / 'policies').mkdir()
    (home / 'policies' / 'exposed-keys.yml').symlink_to(POLICY)
    (home / 'policies' / 'vars.yml').write_text('security_email: security@example.com\n')
    return home


def test_readme_schedule_commands_split_the_file_by_resource_type(aws, workdir):
    aws.seed(demo())
    hourly, daily = [line.split('#')[0] for line in readme_block('## Root-account keys', '-t account')
                     .splitlines() if line.strip().startswith('custodian run')]
    out = shell(aws, daily, workdir, workdir)
    assert out.returncode == 0, out.stderr
    assert sorted(by_policy(aws)) == ['exposed-root-keys']
    assert operations(aws)['iam:UpdateAccessKey'] == 0
    out = shell(aws, hourly, workdir, workdir)
    assert out.returncode == 0, out.stderr
    assert sorted(by_policy(aws)) == ['exposed-keys', 'exposed-root-keys']
    assert operations(aws)['iam:UpdateAccessKey'] > 0


def test_readme_report_commands_show_users_keys_fraud_types_and_outcomes(aws, workdir):
    # Root and user rows: the demo as seeded.
    aws.seed(demo())
    out = shell(aws, 'custodian run -s out --cache-period 0 --vars-file policies/vars.yml '
                'policies/exposed-keys.yml', workdir, workdir)
    assert out.returncode == 0, out.stderr
    assert sorted(by_policy(aws)) == ['exposed-keys', 'exposed-root-keys']
    assert operations(aws)['support:DescribeTrustedAdvisorCheckResult'] == 1
    commands = readme_block('## Reports', 'custodian report')
    report = shell(aws, commands, workdir, workdir)
    assert report.returncode == 0, report.stderr

    users_table, [account] = grids(report.stdout)
    users = {r['UserName']: r for r in users_table}
    expected = seed.DEMO_EXPECTED[MAIN]
    assert set(users) == set(expected['inactive'].values()) | {'frank'}
    for key, user in expected['inactive'].items():
        assert users[user]['Keys'] == key
    assert users['bob']['FraudTypes'] == 'Potentially compromised'
    assert users['grace']['FraudTypes'] == 'Suspected'
    # frank's row names no key: a fraud type, no key id.
    assert (users['frank']['Keys'], users['frank']['FraudTypes']) == ('', 'Suspected')
    assert (account['account_id'], account['Keys'], account['FraudTypes']) == (
        MAIN, ROOT_KEY, 'Exposed')

    outcomes = [line.split('\t') for line in report.stdout.splitlines() if '\t' in line]
    by_key = {key: (user, fraud, outcome) for user, key, fraud, outcome in outcomes}
    assert by_key['AKIAIOSFODNN7EXAMPLE'] == ('alice', 'Exposed', 'deactivated')
    assert by_key['AKIAI44QH8DH3EXAMPLE'] == ('ci-deploy', 'Exposed', 'already-inactive')
    assert by_key['-'] == ('frank', 'Suspected', 'no-key-id')
    assert len(outcomes) == len(expected['inactive']) + 1 and ROOT_KEY not in by_key

    # The same fields as csv: one cell per column, lists joined.
    first = commands.split('\ncustodian report -s out -p exposed-root-keys')[0]
    csv_report = shell(aws, first.replace('--format grid', '--format csv'), workdir, workdir)
    assert csv_report.returncode == 0, csv_report.stderr
    rows = list(csv.DictReader(io.StringIO(csv_report.stdout)))
    assert list(rows[0]) == ['UserName', 'CreateDate', 'Keys', 'FraudTypes']
    assert {r['UserName']: r['Keys'] for r in rows}['alice'] == 'AKIAIOSFODNN7EXAMPLE'
    # resources.json is written before the action: outcomes are only in the action's file.
    records = json.loads((workdir / 'out' / 'exposed-keys' / 'resources.json').read_text())
    assert not any('Outcome' in e for r in records for e in r['c7n:exposed-keys'])
