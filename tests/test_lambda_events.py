"""The event policy's real Lambda archive, run as the Lambda runtime would, on each exposure event."""
import io
import json
import re
import shlex
import shutil
import zipfile
from collections import Counter
from pathlib import Path

import pytest
import yaml
from botocore.config import Config
from moto.events.models import EventPattern

import exposureevents as ev
import lambdaruntime
from localaws import seed
from localaws.runner import notifications, run
from test_lambda import aws_cli

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / 'policies' / 'exposed-keys-lambda.yml'
NAME = 'exposed-keys-on-event'
FUNCTION = 'custodian-' + NAME
MAIN = seed.MAIN
SECURITY = 'security@example.com'
# bob has two Active keys; the events name the second.
BOB, NAMED, OTHER = 'bob', 'AKIAIOSFODNN2EXAMPLE', 'AKIAIOSFODNN1EXAMPLE'
TO_INACTIVE = ['iam:GetAccessKeyLastUsed', 'iam:GetUser', 'iam:ListAccessKeys',
               'iam:UpdateAccessKey']
# notify-exposed-keys: read the user's record, send, then write the record
NOTIFY = ['iam:ListUserTags', 'iam:ListAccountAliases', 'sqs:SendMessage', 'iam:TagUser']
RULE_PATTERN = {'$or': [
    {'source': ['aws.health'], 'detail-type': ['AWS Health Event'],
     'detail': {'service': ['RISK'], 'eventTypeCode': [
         'AWS_RISK_CREDENTIALS_EXPOSED', 'AWS_RISK_CREDENTIALS_EXPOSURE_SUSPECTED',
         'AWS_RISK_CREDENTIALS_COMPROMISED', 'AWS_RISK_CREDENTIALS_COMPROMISE_SUSPECTED',
         'AWS_RISK_IAM_QUARANTINE']}},
    {'source': ['aws.trustedadvisor'],
     'detail-type': ['Trusted Advisor Check Item Refresh Notification'],
     'detail': {'check-name': ['Exposed Access Keys'], 'status': ['ERROR', 'WARN']}},
]}

HEALTH = {'health-%s-%s' % (code, where): ev.health(key=NAMED, code=code, location=where,
                                                    user=BOB)
          for code in ev.HEALTH_CODES for where in ev.KEY_LOCATIONS}
TRUSTED_ADVISOR = {'ta-%s' % status: ev.trusted_advisor(key=NAMED, user=BOB, status=status)
                   for status in ('ERROR', 'WARN')}
ACTED_ON = dict(HEALTH, **TRUSTED_ADVISOR)
IGNORED = {
    'ta-OK': (ev.trusted_advisor(key=NAMED, user=BOB, status='OK'), [],
              'key:%s status:ok; nothing to do' % NAMED),
    'health-root': (ev.health(key='AKIAROOTKEY01EXAMPLE', location='eventMetadata',
                              user='<root_account>'), [],
                    'root key:AKIAROOTKEY01EXAMPLE named by an exposure event'),
    'ta-root': (ev.trusted_advisor(key='AKIAROOTKEY01EXAMPLE', user='<root_account>'), [],
                'root key:AKIAROOTKEY01EXAMPLE named by an exposure event'),
    'gone-key': (ev.health(key='AKIAIOSFODNN9EXAMPLE'), ['iam:GetAccessKeyLastUsed'],
                 'key:AKIAIOSFODNN9EXAMPLE no longer exists; nothing to do'),
    'unrelated': (ev.unrelated(), [],
                  'it is not an exposure event (source:aws.ec2 detail-type:EC2 Instance '
                  'State-change Notification)'),
    'other-code': (ev.health(key=NAMED, code='AWS_RISK_SOMETHING_ELSE'), [],
                   'it is a Health event with code AWS_RISK_SOMETHING_ELSE, not one of'),
}


@pytest.fixture(scope='module')
def workdir(tmp_path_factory):
    path = tmp_path_factory.mktemp('lambda-events')
    (path / 'vars.yml').write_text('security_email: %s\n' % SECURITY)
    return path


@pytest.fixture(scope='module')
def function(aws, workdir):
    """One warm function for every event, as Lambda keeps one between invocations."""
    archive = lambdaruntime.build_archive(POLICY, NAME, workdir, vars_file=workdir / 'vars.yml')
    with lambdaruntime.LambdaProcess(archive, aws, workdir) as function:
        function.invoke(ev.unrelated())  # the cold start's one STS call, out of the way
        yield function


def fresh_account(aws):
    aws.reset()
    aws.seed(seed.demo())


def states(aws, account=MAIN):
    return {k['AccessKeyId']: k['Status'] for k in aws.keys(account=account)}


def seeded(account=MAIN):
    return {k['id']: k['status']
            for u in seed.demo()['accounts'][account]['users'] for k in u['keys']}


@pytest.mark.parametrize('name', sorted(ACTED_ON))
def test_each_exposure_event_deactivates_only_that_key(function, aws, name):
    fresh_account(aws)
    result = function.invoke(ev.fresh(ACTED_ON[name]))
    assert result['error'] is None, result['error']

    # Only the named key of that user; bob's other key and every other key untouched.
    assert states(aws) == dict(seeded(), **{NAMED: 'Inactive'})
    assert states(aws)[OTHER] == 'Active'
    # Four calls from event to Inactive, then notify; no listing, no Trusted Advisor.
    assert result.operations == TO_INACTIVE + NOTIFY
    assert 'user:bob key:%s fraud:%s' % (NAMED, (ACTED_ON[name]['detail'].get(
        'eventTypeCode') or 'Exposed')) in result.log_text()

    [message] = notifications(aws)
    assert message['policy']['name'] == NAME
    assert message['action']['to'] == ['resource-owner', SECURITY]
    [user] = message['resources']
    assert user['UserName'] == BOB
    assert [(e['AccessKeyId'], e['Outcome']) for e in user['c7n:exposed-keys']] == [
        (NAMED, 'deactivated')]


@pytest.mark.parametrize('name', sorted(IGNORED))
def test_events_to_leave_alone_are_logged_and_ignored(function, aws, name):
    fresh_account(aws)
    event, calls, logged = IGNORED[name]
    result = function.invoke(ev.fresh(event))
    assert result['error'] is None, result['error']
    assert result.operations == calls
    assert logged in result.log_text()
    assert states(aws) == seeded()
    assert notifications(aws) == []


def test_a_repeated_event_is_harmless(function, aws):
    fresh_account(aws)
    event = ACTED_ON['ta-ERROR']
    function.invoke(ev.fresh(event))
    again = function.invoke(ev.fresh(event))
    assert again['error'] is None, again['error']
    # Already Inactive: listed, not written again; already told: nothing sent.
    assert again.operations == ['iam:GetAccessKeyLastUsed', 'iam:GetUser',
                                'iam:ListAccessKeys', 'iam:ListUserTags']
    assert 'outcome:already-inactive' in again.log_text()
    assert states(aws)[NAMED] == 'Inactive' and states(aws)[OTHER] == 'Active'
    assert len(notifications(aws)) == 1


def create_role(aws):
    iam = aws.client('iam')
    iam.create_role(RoleName='custodian-exposed-keys', AssumeRolePolicyDocument=(
        ROOT / 'policies' / 'lambda-trust-policy.json').read_text())
    iam.put_role_policy(RoleName='custodian-exposed-keys', PolicyName='exposed-keys',
                        PolicyDocument=(ROOT / 'policies' / 'lambda-role-policy.json').read_text())


@pytest.mark.parametrize('region', ['us-east-1', 'eu-west-1'])
def test_custodian_run_provisions_the_function_and_rule_in_us_east_1(
        aws, workdir, tmp_path, region):
    fresh_account(aws)
    create_role(aws)
    there = Config(region_name=region)
    # {region} in the policy is the run's region: notify goes to that region's mailer queue.
    aws.client('sqs', config=there).create_queue(QueueName='custodian-mailer')
    out = run(aws, 'custodian', 'run', '-s', tmp_path / 'out', '-r', region, '-p', NAME,
              '--vars-file', workdir / 'vars.yml', POLICY, home=tmp_path)
    assert out.returncode == 0, out.stderr
    assert states(aws) == seeded()  # provisioning runs nothing
    if region != 'us-east-1':
        assert ('policy:%s provisions its function and rule in us-east-1, where AWS delivers '
                'exposure events, not in the run\'s region %s' % (NAME, region)) in out.stderr
        assert aws.client('lambda', config=there).list_functions()['Functions'] == []
        assert aws.client('events', config=there).list_rules()['Rules'] == []

    lam = aws.client('lambda')
    config = lam.get_function(FunctionName=FUNCTION)['Configuration']
    assert config['Handler'] == 'c7n_exposedkeys.handler.run'  # the mode's default
    assert config['FunctionArn'].startswith('arn:aws:lambda:us-east-1:%s:' % MAIN)
    with zipfile.ZipFile(io.BytesIO(aws.lambda_code(FUNCTION))) as archive:
        names = set(archive.namelist())
        [policy] = json.loads(archive.read('config.json'))['policies']
    assert {'c7n_exposedkeys/events.py', 'c7n_exposedkeys/mode.py',
            'c7n_exposedkeys/handler.py'} <= names
    assert policy['mode']['type'] == 'exposed-keys-event'

    events = aws.client('events')
    rule = events.describe_rule(Name=FUNCTION)
    assert rule['State'] == 'ENABLED' and 'ScheduleExpression' not in rule
    assert json.loads(rule['EventPattern']) == RULE_PATTERN
    [target] = events.list_targets_by_rule(Rule=FUNCTION)['Targets']
    assert target['Arn'] == config['FunctionArn']
    [grant] = json.loads(lam.get_policy(FunctionName=FUNCTION)['Policy'])['Statement']
    assert grant['Principal'] == {'Service': 'events.amazonaws.com'}
    assert grant['Condition']['ArnLike']['AWS:SourceArn'] == rule['Arn']

    # The deployed pattern, read by moto's EventBridge matcher: every event the function
    # acts on matches; OK items, other codes and other sources do not.
    pattern = EventPattern.load(rule['EventPattern'])
    assert all(pattern.matches_event(e) for e in ACTED_ON.values())
    for name in ('ta-OK', 'unrelated', 'other-code'):
        assert not pattern.matches_event(IGNORED[name][0]), name

    # The code custodian uploaded runs the event as Lambda would.
    deployed = lambdaruntime.deployed_archive(aws, FUNCTION, tmp_path / 'deployed')
    [result] = lambdaruntime.run_events(deployed, aws, tmp_path, [ev.fresh(HEALTH[sorted(
        HEALTH)[0]])])
    assert result['error'] is None, result['error']
    assert states(aws) == dict(seeded(), **{NAMED: 'Inactive'})
    assert Counter(result.operations)['iam:UpdateAccessKey'] == 1
    assert result.operations.count('sqs:SendMessage') == 1
    assert len(aws.queue_messages('custodian-mailer', region=region)) == 1


def readme_section():
    readme = (ROOT / 'README.md').read_text()
    return readme.split('\n### Event-driven response: `exposed-keys-on-event`\n', 1)[1].split(
        '\n## ', 1)[0]


def readme_commands(containing):
    [block] = [b for b in re.findall(r'```sh\n(.*?)```', readme_section(), re.S)
               if containing in b]
    return [shlex.split(line) for line in block.splitlines() if line.strip()]


def test_readme_deploys_the_event_function_with_its_exact_pattern_then_removes_it(
        aws, tmp_path):
    fresh_account(aws)
    create_role(aws)
    shutil.copytree(ROOT / 'policies', tmp_path / 'policies')
    (tmp_path / 'policies' / 'vars.yml').write_text('security_email: %s\n' % SECURITY)
    [deploy] = readme_commands('custodian run')
    out = run(aws, *deploy, home=tmp_path / 'home', cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    lam, events = aws.client('lambda'), aws.client('events')
    assert [f['FunctionName'] for f in lam.list_functions()['Functions']] == [FUNCTION]

    [documented] = re.findall(r'```json\n(.*?)```', readme_section(), re.S)
    deployed = json.loads(events.describe_rule(Name=FUNCTION)['EventPattern'])
    assert json.loads(documented) == deployed == RULE_PATTERN
    [documented_mode] = re.findall(r'```yaml\n(.*?)```', readme_section(), re.S)
    policy = next(p for p in yaml.safe_load(POLICY.read_text())['policies'] if p['name'] == NAME)
    assert yaml.safe_load(documented_mode)['mode'] == policy['mode']

    aws.client('logs').create_log_group(logGroupName='/aws/lambda/' + FUNCTION)
    for argv in readme_commands('delete-function'):
        # Every removal line names us-east-1, the local AWS's default region.
        assert argv[-2:] == ['--region', 'us-east-1'], argv
        aws_cli(aws, argv[:-2], tmp_path)
    assert lam.list_functions()['Functions'] == []
    assert events.list_rules()['Rules'] == []
    assert aws.client('logs').describe_log_groups(
        logGroupNamePrefix='/aws/lambda/' + FUNCTION)['logGroups'] == []
