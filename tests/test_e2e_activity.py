"""exposed-key-activity through the stock `custodian` CLI, with the README's policy and commands."""
import json
import re
import shlex
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml

from localaws import seed
from localaws.runner import run

ROOT = Path(__file__).resolve().parent.parent
SECTION = '## CloudTrail activity: `exposed-key-activity` (opt-in)'
ALICE, BOB = 'AKIAIOSFODNN7EXAMPLE', 'AKIAIOSFODNN2EXAMPLE'


def readme_section():
    text = (ROOT / 'README.md').read_text()
    start = text.index(SECTION)
    return text[start:text.index('\n## ', start + 1)]


def readme_policy():
    return yaml.safe_load(re.search(r'```yaml\n(.*?)```', readme_section(), re.S)[1])


def readme_commands():
    """The section's shell commands, continuation lines joined, as argument lists."""
    block = re.search(r'```sh\n(.*?)```', readme_section(), re.S)[1]
    return [shlex.split(line) for line in block.replace('\\\n', ' ').splitlines() if line]


def ago(hours):
    moment = datetime.now(timezone.utc) - timedelta(hours=hours)
    return moment.strftime('%Y-%m-%dT%H:%M:%SZ')


def trail():
    """alice's and bob's keys were used lately in us-east-1; eu-west-1 refuses to be read."""
    return {
        'us-east-1': {'events': [
            seed.event('GetCallerIdentity', 'sts.amazonaws.com', ago(1), ALICE, 'alice',
                       '203.0.113.7'),
            seed.event('GetCallerIdentity', 'sts.amazonaws.com', ago(2), ALICE, 'alice',
                       '203.0.113.7'),
            seed.event('ListBuckets', 's3.amazonaws.com', ago(3), ALICE, 'alice',
                       '198.51.100.23'),
            seed.event('CreateUser', 'iam.amazonaws.com', ago(30), ALICE, 'alice',
                       '198.51.100.23', read_only=False),  # outside the 24 hours
            seed.event('ListUsers', 'iam.amazonaws.com', ago(5), BOB, 'bob', '192.0.2.44'),
        ]},
        'eu-west-1': {'errors': {'LookupEvents': {
            'code': 'AccessDeniedException',
            'message': 'User: arn:aws:sts::123456789012:assumed-role/custodian/run is not '
                       'authorized to perform: cloudtrail:LookupEvents'}}},
    }


def test_readme_policy_annotates_each_flagged_key_with_its_activity(aws, tmp_path):
    aws.reset()
    doc = seed.demo()
    doc['accounts'][seed.MAIN]['cloudtrail'] = trail()
    aws.seed(doc)
    before = aws.keys()
    (tmp_path / 'policies').mkdir()
    (tmp_path / 'policies' / 'exposed-keys-activity.yml').write_text(
        yaml.safe_dump(readme_policy()))
    [run_cmd, report_cmd] = readme_commands()
    assert run_cmd[:2] == ['custodian', 'run'] and report_cmd[:2] == ['custodian', 'report']

    out = run(aws, *run_cmd, home=tmp_path, cwd=tmp_path)
    assert out.returncode == 0, out.stderr

    resources = json.loads(
        (tmp_path / 'out' / 'exposed-keys-activity' / 'resources.json').read_text())
    users = {r['UserName']: r for r in resources}
    # Annotation only: the same users exposed-keys matches.
    assert sorted(users) == ['alice', 'bob', 'carol', 'ci-deploy', 'erin', 'frank', 'grace']
    note = ('eu-west-1: not readable: AccessDeniedException (access denied; grant '
            'cloudtrail:LookupEvents); region skipped')
    [alice] = users['alice']['c7n:exposed-keys']
    summary = alice['Activity']
    assert (summary['Regions'], summary['EventCount'], summary['Truncated'], summary['Notes']) \
        == (['us-east-1'], 3, False, [note])
    assert summary['TopEventNames'] == [{'EventName': 'GetCallerIdentity', 'Count': 2},
                                        {'EventName': 'ListBuckets', 'Count': 1}]
    assert summary['TopSourceIps'] == [{'SourceIp': '203.0.113.7', 'Count': 2},
                                       {'SourceIp': '198.51.100.23', 'Count': 1}]
    since, until = (datetime.fromisoformat(summary[k].replace('Z', '+00:00'))
                    for k in ('Since', 'Until'))
    assert until - since == timedelta(hours=24)
    [bob] = users['bob']['c7n:exposed-keys']
    assert bob['Activity']['TopEventNames'] == [{'EventName': 'ListUsers', 'Count': 1}]
    assert users['carol']['c7n:exposed-keys'][0]['Activity']['EventCount'] == 0
    assert 'Activity' not in users['frank']['c7n:exposed-keys'][0]

    calls = Counter(f"{c['service']}:{c['operation']}" for c in aws.calls())
    # Six flagged keys with an id, read in us-east-1; eu-west-1 asked once, then skipped.
    assert calls['cloudtrail:LookupEvents'] == 6 + 1
    # The stock pacing spaced the six us-east-1 calls half a second apart: each key's line
    # is logged after its call, so first to last spans 2.5 s, less the calls' own jitter.
    logged = [datetime.strptime(line[:23], '%Y-%m-%d %H:%M:%S,%f')
              for line in out.stderr.splitlines() if 'exposed-key-activity: user:' in line]
    assert len(logged) == 6
    assert (logged[-1] - logged[0]).total_seconds() >= 2.0
    assert 'region:eu-west-1 CloudTrail not readable' in out.stderr
    # Read only: no key changed.
    assert not any(op.startswith('iam:Update') or op.startswith('iam:Delete') for op in calls)
    assert aws.keys() == before

    report = run(aws, *report_cmd, home=tmp_path, cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    row = next(line for line in report.stdout.splitlines() if ALICE in line)
    assert re.search(r"\|\s*3\s*\|", row) and 'eu-west-1: not readable' in row
