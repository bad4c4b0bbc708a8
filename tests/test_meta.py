"""Conventions every element and shipped policy must keep (c7n's own meta tests, for us)."""
import fnmatch
import inspect
import json
import re
import textwrap
from pathlib import Path

import pytest
import yaml
from c7n.config import Config
from c7n.exceptions import PolicyValidationError
from c7n.loader import PolicyLoader
from c7n.resources import load_resources

import c7n_exposedkeys

ROOT = Path(__file__).resolve().parent.parent
POLICY_FILES = [p for p in sorted((ROOT / 'policies').glob('*.yml'))
                if 'policies' in yaml.safe_load(p.read_text())]


def elements():
    load_resources(('aws.iam-user', 'aws.account'))
    c7n_exposedkeys.initialize()
    from c7n.policy import execution
    from c7n.resources.account import Account
    from c7n.resources.iam import User
    return [User.filter_registry.get('exposed-keys'),
            User.action_registry.get('deactivate-exposed-keys'),
            User.action_registry.get('notify-exposed-keys'),
            execution.get('exposed-keys-event'),
            User.filter_registry.get('exposed-key-activity'),
            Account.filter_registry.get('exposed-root-keys')]


def load(data, validate=True):
    loader = PolicyLoader(Config.empty(account_id='123456789012', region='us-east-1'))
    collection = loader.load_data(data, 'memory://test', validate=validate)
    for p in collection:
        p.validate()
    return list(collection)


def docstring_examples(klass):
    doc = inspect.getdoc(klass)
    blocks = re.findall(r'\.\. code-block:: yaml\n\n((?:\s+.*\n?)+)', doc)
    return [yaml.safe_load(textwrap.dedent(b)) for b in blocks]


@pytest.mark.parametrize('element', elements(), ids=lambda e: e.type)
def test_element_conventions(element):
    assert element.schema['properties']['type']['enum'] == [element.type]
    assert element.schema['additionalProperties'] is False
    assert element.permissions and all(
        re.fullmatch(r'[a-z0-9-]+:[A-Za-z]+', p) for p in element.permissions)
    examples = docstring_examples(element)
    assert examples, 'docstring needs a full YAML example'
    for example in examples:
        assert load(example)


def test_typo_in_an_option_is_a_validation_error():
    with pytest.raises(PolicyValidationError, match='fraud-type'):
        load({'policies': [{'name': 'p', 'resource': 'iam-user', 'filters': [
            {'type': 'exposed-keys', 'fraud-type': ['Exposed']}]}]})


@pytest.mark.parametrize('statuses', [['ok'], [], ['error', 'error']])
def test_statuses_only_take_error_and_warning(statuses):
    with pytest.raises(PolicyValidationError):
        load({'policies': [{'name': 'p', 'resource': 'iam-user', 'filters': [
            {'type': 'exposed-keys', 'statuses': statuses}]}]})


def test_action_without_the_filter_fails_validation():
    with pytest.raises(PolicyValidationError, match='policy:p .*needs the exposed-keys filter'):
        load({'policies': [{'name': 'p', 'resource': 'iam-user',
                            'actions': ['deactivate-exposed-keys']}]})


def test_notify_before_the_action_fails_validation():
    with pytest.raises(PolicyValidationError, match='put notify after deactivate-exposed-keys'):
        load({'policies': [{'name': 'p', 'resource': 'iam-user', 'filters': ['exposed-keys'],
                            'actions': [{'type': 'notify', 'to': ['security@example.com'],
                                         'transport': {'type': 'sqs', 'queue': 'q'}},
                                        'deactivate-exposed-keys']}]})


LAMBDA = {'type': 'periodic', 'schedule': 'rate(1 hour)',
          'role': 'arn:aws:iam::123456789012:role/custodian'}


@pytest.mark.parametrize('mode, error', [
    (LAMBDA, r'policy:p uses exposed-keys in periodic mode: set mode.handler to '
             r'c7n_exposedkeys\.handler\.run'),
    (dict(LAMBDA, handler='c7n.handler.dispatch_event', packages=['c7n_exposedkeys']),
     'set mode.handler'),
    (dict(LAMBDA, handler='c7n_exposedkeys.handler.run'),
     'policy:p uses exposed-keys in periodic mode: add c7n_exposedkeys to mode.packages'),
    (dict(LAMBDA, handler='c7n_exposedkeys.handler.run', packages=['botocore']),
     'add c7n_exposedkeys to mode.packages'),
])
def test_lambda_mode_without_our_handler_or_package_fails_validation(mode, error):
    with pytest.raises(PolicyValidationError, match=error):
        load({'policies': [{'name': 'p', 'resource': 'iam-user', 'filters': ['exposed-keys'],
                            'mode': mode}]})


def test_action_checks_the_lambda_mode_too():
    with pytest.raises(PolicyValidationError, match='uses deactivate-exposed-keys in periodic'):
        load({'policies': [{'name': 'p', 'resource': 'iam-user',
                            'filters': [{'not': [{'type': 'value', 'key': 'UserName',
                                                  'value': 'x'}]}],
                            'actions': ['deactivate-exposed-keys'], 'mode': LAMBDA}]})


def test_lambda_mode_with_our_handler_and_package_validates():
    mode = dict(LAMBDA, handler='c7n_exposedkeys.handler.run', packages=['c7n_exposedkeys'])
    assert load({'policies': [{'name': 'p', 'resource': 'iam-user', 'filters': ['exposed-keys'],
                               'actions': ['deactivate-exposed-keys'], 'mode': mode}]})


def test_action_with_the_filter_inside_a_block_validates():
    assert load({'policies': [{'name': 'p', 'resource': 'iam-user',
                               'filters': [{'or': [{'type': 'exposed-keys'}]}],
                               'actions': ['deactivate-exposed-keys']}]})


@pytest.mark.parametrize('path', POLICY_FILES, ids=lambda p: p.name)
def test_shipped_policies_validate_and_explain_themselves(path):
    data = yaml.safe_load(path.read_text())
    elements()
    for policy in load(data):
        meta = policy.data.get('metadata', {})
        assert len(policy.data.get('description', '').split()) >= 10, policy.name
        assert meta.get('severity') in ('critical', 'high', 'medium', 'low'), policy.name
        assert isinstance(meta.get('risk'), str) and len(meta['risk'].split()) >= 5
        steps = meta.get('remediation')
        assert isinstance(steps, list) and steps and all(isinstance(s, str) for s in steps)


def test_iam_policy_document_grants_every_call_the_policies_make():
    doc = json.loads((ROOT / 'policies' / 'iam-policy.json').read_text())
    granted = set()
    for statement in doc['Statement']:
        assert statement['Effect'] == 'Allow'
        actions = statement['Action']
        granted.update([actions] if isinstance(actions, str) else actions)
    needed = {'iam:ListAccountAliases'}  # notify reads the alias but doesn't declare it
    for path in POLICY_FILES:
        for policy in load(yaml.safe_load(path.read_text())):
            needed |= set(policy.get_permissions())
    assert needed <= granted, sorted(needed - granted)
    assert not any(a.startswith('iam:Delete') or a.endswith('*') for a in granted)


@pytest.mark.parametrize('path', POLICY_FILES, ids=lambda p: p.name)
def test_notify_subjects_use_the_mailers_jinja_placeholders(path):
    # c7n passes notify subjects to c7n-mailer unexpanded, and the mailer renders them
    # with Jinja: a single-brace {account_id} would reach the inbox as written.
    for policy in yaml.safe_load(path.read_text())['policies']:
        for action in policy.get('actions', ()):
            if isinstance(action, dict) and 'subject' in action:
                assert not re.search(r'(?<!\{)\{\s*\w+\s*\}(?!\})', action['subject'])


LAMBDA_POLICY_FILE = ROOT / 'policies' / 'exposed-keys-lambda.yml'
LAMBDA_LOGS = {'logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'}
RECORD_TAG_ONLY = {'ForAllValues:StringEquals': {'aws:TagKeys': ['c7n-exposed-keys-notified']}}


def granted_actions(doc):
    by_action = {}
    for statement in doc['Statement']:
        assert statement['Effect'] == 'Allow'
        # The one condition: TagUser may write only the notified-record tag.
        assert statement.get('Condition', {}) in ({}, RECORD_TAG_ONLY), statement
        actions = statement['Action']
        for action in [actions] if isinstance(actions, str) else actions:
            resources = statement['Resource']
            by_action[action] = [resources] if isinstance(resources, str) else resources
    return by_action


def test_lambda_role_grants_exactly_what_the_functions_call():
    granted = granted_actions(json.loads(
        (ROOT / 'policies' / 'lambda-role-policy.json').read_text()))
    # notify reads the alias but doesn't declare it; Lambda writes the function's log.
    needed = {'iam:ListAccountAliases'} | LAMBDA_LOGS
    functions = []
    for policy in load(yaml.safe_load(LAMBDA_POLICY_FILE.read_text())):
        # c7n's get_permissions leaves out the mode's own calls (the event mode's lookups).
        needed |= set(policy.get_permissions()) | set(
            policy.get_execution_mode().get_permissions())
        functions.append(policy.data['mode'].get('function-prefix', 'custodian-') + policy.name)
    assert set(granted) == needed, (sorted(needed - set(granted)), sorted(set(granted) - needed))
    assert not any(a.startswith('iam:Delete') or '*' in a for a in granted)
    # Each function's log group lies within the logs statements' resources.
    for action in LAMBDA_LOGS:
        [resource] = granted[action]
        pattern = resource.split(':log-group:')[1].split(':log-stream:')[0]
        for name in functions:
            assert fnmatch.fnmatchcase('/aws/lambda/' + name, pattern), (action, name)


def test_lambda_role_trusts_only_the_lambda_service():
    doc = json.loads((ROOT / 'policies' / 'lambda-trust-policy.json').read_text())
    [statement] = doc['Statement']
    assert statement == {'Effect': 'Allow', 'Principal': {'Service': 'lambda.amazonaws.com'},
                         'Action': 'sts:AssumeRole'}
