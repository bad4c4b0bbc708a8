"""The hourly sweep's real Lambda archive, run as the Lambda runtime would against the local AWS."""
import io
import json
import re
import shlex
import shutil
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from botocore import xform_name
from botocore.exceptions import ClientError

import lambdaruntime
from localaws import seed
from localaws.runner import notifications, run

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / 'README.md'
POLICY = ROOT / 'policies' / 'exposed-keys-lambda.yml'
SWEEP = 'exposed-keys-sweep'
FUNCTION = 'custodian-' + SWEEP
ROLE = 'custodian-exposed-keys'
PLUGIN_MODULES = sorted(p.stem for p in (ROOT / 'c7n_exposedkeys').glob('*.py'))
MAIN = seed.MAIN
SECURITY = 'security@example.com'


@pytest.fixture(scope='module')
def workdir(tmp_path_factory):
    path = tmp_path_factory.mktemp('lambda')
    (path / 'vars.yml').write_text('security_email: %s\n' % SECURITY)
    return path


@pytest.fixture(scope='module')
def sweep(workdir):
    return lambdaruntime.build_archive(POLICY, SWEEP, workdir, vars_file=workdir / 'vars.yml')


@pytest.fixture
def function(sweep, aws, tmp_path):
    """A cold sweep function over a freshly seeded demo account."""
    aws.reset()
    aws.seed(seed.demo())
    with lambdaruntime.LambdaProcess(sweep, aws, tmp_path) as function:
        yield function


def states(aws, account=MAIN):
    return {k['AccessKeyId']: k['Status'] for k in aws.keys(account=account)}


def seeded(account=MAIN):
    return {k['id']: k['status']
            for u in seed.demo()['accounts'][account]['users'] for k in u['keys']}


def test_runner_sees_only_the_archive_and_the_runtimes_packages(function, sweep):
    assert function.init['preloaded'] == []  # no .pth hook ran at start-up
    seen = function.probe()
    assert seen['flags'] == {'no_site': 1, 'ignore_environment': 1, 'no_user_site': 1}
    assert seen['imports'] == {'yaml': False, 'tabulate': False, 'jsonschema': False}
    assert not [p for p in seen['path'] if 'site-packages' in p or 'dist-packages' in p]
    assert seen['path'][0] == str(sweep.root) == seen['cwd']
    runtime = Path(seen['path'][1])
    assert sorted(p.name for p in runtime.iterdir()) == sorted(
        ['boto3', 'botocore', 'dateutil', 'jmespath', 'urllib3', 's3transfer', 'six.py'])
    files = seen['module_files']
    assert files['c7n'] == str(sweep.root / 'c7n' / '__init__.py')
    assert files['c7n_exposedkeys'] == str(sweep.root / 'c7n_exposedkeys' / '__init__.py')
    assert files['botocore'].startswith(str(runtime))


def test_every_plugin_module_imports_with_only_the_runtimes_packages(function, sweep):
    assert sorted(sweep.files_under('c7n_exposedkeys')) == [
        'c7n_exposedkeys/%s.py' % name for name in PLUGIN_MODULES]
    modules = ['c7n_exposedkeys.%s' % name for name in PLUGIN_MODULES if name != '__init__']
    assert function.probe(modules)['imports'] == dict.fromkeys(modules, True)


def test_scheduled_event_deactivates_exactly_the_flagged_keys(function, sweep, aws):
    result = function.invoke(lambdaruntime.scheduled_event(sweep))
    assert result['error'] is None, result['error']
    assert result['result'] is True

    expected = seed.DEMO_EXPECTED[MAIN]
    after = states(aws)
    assert {k: after[k] for k in expected['inactive']} == dict.fromkeys(
        expected['inactive'], 'Inactive')
    assert {k: after[k] for k in expected['unchanged']} == expected['unchanged']
    assert states(aws, seed.MEMBER) == seeded(seed.MEMBER)

    active_flagged = sum(seeded()[k] == 'Active' for k in expected['inactive'])
    users = len(seed.demo()['accounts'][MAIN]['users'])
    [message] = notifications(aws)
    notified = len(message['resources'])  # every matched user, on the first sweep
    assert Counter(result.operations) == {
        'sts:GetCallerIdentity': 1,       # c7n's handler finds its account, once per cold start
        'iam:ListUsers': 1,
        'iam:GetUser': users,             # c7n's iam-user resource, one per user
        'support:DescribeTrustedAdvisorCheckResult': 1,
        'support:DescribeTrustedAdvisorChecks': 1,
        'iam:ListAccessKeys': len(expected['inactive']),  # one per user with a flagged key id
        'iam:UpdateAccessKey': active_flagged,
        'iam:ListUserTags': notified,     # notify-exposed-keys reads each record
        'iam:ListAccountAliases': 1,      # notify
        'sqs:SendMessage': 1,
        'iam:TagUser': notified,          # and writes it once the message is sent
    }
    assert {c['account'] for c in result['calls']} == {MAIN}
    assert 'outcome:deactivated' in result.log_text()

    assert message['policy']['name'] == SWEEP
    assert message['action']['to'] == ['resource-owner', SECURITY]
    assert {e['AccessKeyId']: e['Outcome'] for r in message['resources']
            for e in r['c7n:exposed-keys'] if e['AccessKeyId']} == {
        k: 'already-inactive' if seeded()[k] == 'Inactive' else 'deactivated'
        for k in expected['inactive']}


def test_warm_process_reads_trusted_advisor_afresh_for_each_event(function, sweep, aws):
    first = function.invoke(lambdaruntime.scheduled_event(sweep))
    assert first['error'] is None, first['error']
    heidi = 'AKIAIOSFODNN6EXAMPLE'
    assert states(aws)[heidi] == 'Active'  # not flagged yet

    # Trusted Advisor now lists only heidi's key.
    aws.seed({'accounts': {MAIN: {'trusted_advisor': {'status': 'error', 'rows': [
        seed.row('error', heidi, 'heidi', 'Exposed', '12345678930', seed.UPDATED,
                 'https://github.com/example/tools/blob/main/env', seed.DEADLINE, '0')]}}}})
    before = states(aws)
    second = function.invoke(lambdaruntime.scheduled_event(sweep))
    assert second['error'] is None, second['error']

    after = states(aws)
    assert after == dict(before, **{heidi: 'Inactive'})
    calls = Counter(second.operations)
    assert calls['support:DescribeTrustedAdvisorCheckResult'] == 1
    assert calls['iam:UpdateAccessKey'] == 1 and calls['iam:ListAccessKeys'] == 1
    assert 'sts:GetCallerIdentity' not in calls  # the same warm process: c7n kept its config
    assert 'user:heidi key:%s fraud:Exposed case:12345678930 outcome:deactivated' % heidi \
        in second.log_text()


def test_unreadable_check_fails_the_invocation_in_one_line_and_the_next_event_retries(
        function, sweep, aws):
    demo_check = seed.demo()['accounts'][MAIN]['trusted_advisor']
    aws.seed({'accounts': {MAIN: {'trusted_advisor': dict(demo_check, errors={
        'DescribeTrustedAdvisorCheckResult': {
            'code': 'AccessDeniedException', 'message': 'not authorized'}})}}})
    failed = function.invoke(lambdaruntime.scheduled_event(sweep))
    assert failed['error']['errorType'] == 'PolicyExecutionError'
    assert failed['error']['errorMessage'].startswith(
        'IAM denied support:DescribeTrustedAdvisorCheckResult on account %s' % MAIN)
    assert not [op for op in failed.operations if not op.startswith(
        ('sts:', 'iam:ListUsers', 'iam:GetUser', 'support:DescribeTrustedAdvisorCheckResult'))]
    assert states(aws) == seeded()

    # The failure was this event's: once the role may read the check, the next event acts.
    aws.seed({'accounts': {MAIN: {'trusted_advisor': demo_check}}})
    fixed = function.invoke(lambdaruntime.scheduled_event(sweep))
    assert fixed['error'] is None, fixed['error']
    inactive = {k for k, v in states(aws).items() if v == 'Inactive'}
    assert inactive == set(seed.DEMO_EXPECTED[MAIN]['inactive']) | {
        k for k, v in seeded().items() if v == 'Inactive'}


def readme_commands(containing):
    """The shell block of README's "Run in Lambda" (before its first ### subsection) that
    contains `containing`, as argv lists."""
    section = README.read_text().split('\n## Run in Lambda\n', 1)[1].split('\n## ', 1)[0]
    blocks = re.findall(r'```sh\n(.*?)```', section.split('\n### ', 1)[0], re.S)
    [block] = [b for b in blocks if containing in b]
    lines = block.replace('\\\n', ' ').splitlines()  # join continued lines
    return [argv for argv in (shlex.split(line, comments=True) for line in lines) if argv]


def aws_cli(aws, argv, cwd):
    """One `aws SERVICE OPERATION --option value ...` line, made through boto3 by the CLI's
    naming rules (file:// values read relative to cwd)."""
    assert argv[0] == 'aws', argv
    client = aws.client(argv[1])
    operation = client.meta.service_model.operation_model(
        ''.join(w.capitalize() for w in argv[2].split('-')))
    members = operation.input_shape.members
    options = {'--' + xform_name(name, '-'): name for name in members}
    params = {}
    for option, value in zip(argv[3::2], argv[4::2]):
        name = options[option]
        if value.startswith('file://'):
            value = (cwd / value[len('file://'):]).read_text()
        params[name] = [value] if members[name].type_name == 'list' else value
    return getattr(client, xform_name(operation.name))(**params)


def run_readme(aws, containing, cwd):
    for argv in readme_commands(containing):
        if argv[0] == 'aws':
            aws_cli(aws, argv, cwd)
        elif argv[0] == 'cp':
            shutil.copy(cwd / argv[1], cwd / argv[2])
        else:
            assert argv[0] == 'custodian', argv
            out = run(aws, *argv, home=cwd / 'home', cwd=cwd)
            assert out.returncode == 0, (argv, out.stderr)


def test_readme_deploys_the_sweep_function_and_its_schedule_then_removes_them(aws, tmp_path):
    aws.reset()
    aws.seed(seed.demo())
    shutil.copytree(ROOT / 'policies', tmp_path / 'policies')
    run_readme(aws, 'create-role', tmp_path)
    run_readme(aws, 'custodian run', tmp_path)
    assert states(aws) == seeded()  # deploying runs nothing

    config = aws.client('lambda').get_function(FunctionName=FUNCTION)['Configuration']
    assert config['Handler'] == 'c7n_exposedkeys.handler.run'
    assert config['Role'] == 'arn:aws:iam::%s:role/%s' % (MAIN, ROLE)
    assert config['Runtime'] == 'python3.11'

    with zipfile.ZipFile(io.BytesIO(aws.lambda_code(FUNCTION))) as archive:
        names = set(archive.namelist())
        [policy] = json.loads(archive.read('config.json'))['policies']
        assert archive.read('c7n_exposedkeys/handler.py') == (
            ROOT / 'c7n_exposedkeys' / 'handler.py').read_bytes()
    assert {'c7n_exposedkeys/%s.py' % m for m in PLUGIN_MODULES} <= names
    assert {'c7n/handler.py', 'c7n/resources/iam.py'} <= names
    assert not [n for n in names if n.endswith(('.pth', '.start'))]
    assert policy['name'] == SWEEP
    assert policy['filters'] == ['exposed-keys']
    assert policy['mode']['handler'] == 'c7n_exposedkeys.handler.run'
    assert policy['mode']['packages'] == ['c7n_exposedkeys']
    notify = policy['actions'][1]
    assert notify['to'] == ['resource-owner', SECURITY]  # the vars file, expanded at deploy
    assert notify['transport']['queue'] == 'arn:aws:sqs:us-east-1:%s:custodian-mailer' % MAIN

    events = aws.client('events')
    rule = events.describe_rule(Name=FUNCTION)
    assert rule['ScheduleExpression'] == 'rate(1 hour)' and rule['State'] == 'ENABLED'
    [target] = events.list_targets_by_rule(Rule=FUNCTION)['Targets']
    assert target['Arn'] == config['FunctionArn']
    [grant] = json.loads(
        aws.client('lambda').get_policy(FunctionName=FUNCTION)['Policy'])['Statement']
    assert grant['Principal'] == {'Service': 'events.amazonaws.com'}
    assert grant['Condition']['ArnLike']['AWS:SourceArn'] == rule['Arn']

    # The code custodian uploaded, run as Lambda would on the rule's schedule.
    deployed = lambdaruntime.deployed_archive(aws, FUNCTION, tmp_path / 'deployed')
    [result] = lambdaruntime.run_events(
        deployed, aws, tmp_path, [lambdaruntime.scheduled_event(deployed)])
    assert result['error'] is None, result['error']
    assert {k for k, v in states(aws).items() if v != seeded()[k]} == {
        k for k in seed.DEMO_EXPECTED[MAIN]['inactive'] if seeded()[k] == 'Active'}

    # Lambda creates the log group on the function's first run; the local AWS did not run it.
    aws.client('logs').create_log_group(logGroupName='/aws/lambda/' + FUNCTION)
    run_readme(aws, 'delete-function', tmp_path)
    with pytest.raises(ClientError, match='ResourceNotFound'):
        aws.client('lambda').get_function(FunctionName=FUNCTION)
    with pytest.raises(ClientError, match='ResourceNotFound'):
        events.describe_rule(Name=FUNCTION)
    assert aws.client('logs').describe_log_groups(
        logGroupNamePrefix='/aws/lambda/' + FUNCTION)['logGroups'] == []
    with pytest.raises(ClientError, match='NoSuchEntity'):
        aws.client('iam').get_role(RoleName=ROLE)
