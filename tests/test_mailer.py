"""The stock c7n-mailer, unmodified, reads what the stock `custodian run` queued on the local AWS
and delivers it over SMTP (no TLS) to a local SMTP server; the delivered email is read back."""
import json
import logging
from collections import Counter
from pathlib import Path

import jsonschema
import pytest
import requests
import yaml
from c7n_mailer.cli import CONFIG_SCHEMA
from c7n_mailer.slack_delivery import SlackDelivery

from localaws import LocalAWS, mailbox, seed
from localaws.mailer import EXAMPLE, TEMPLATES, run_mailer, write_config
from localaws.runner import notifications, run
from localaws.smtp import SmtpSink

POLICY = Path(__file__).resolve().parent.parent / 'policies' / 'exposed-keys.yml'
MAIN = seed.MAIN
SECURITY = 'security@example.com'
OUTCOMES = ('exposed-keys', 'deactivate-exposed-keys.json')
# The template's wording for each Outcome (mailer/templates/exposed-keys.macros.j2).
SAYS = {
    'deactivated': 'Deactivated (now Inactive)',
    'already-inactive': 'Already inactive (no change)',
    'gone': 'Gone (the user or key no longer exists)',
    'no-key-id': 'Not deactivated (finding has no key id)',
}
ROOT_SUBJECT = 'Exposed AWS root access key'
NEXT_STEPS = ('Rotate ', 'Check the CloudTrail activity of the key', 'Revoke sessions',
              'Close the AWS support case')


def about_users(delivered):
    """The emails of the exposed-keys policy; exposed-root-keys sends its own (see below)."""
    return [m for m in delivered if not m['message']['Subject'].startswith(ROOT_SUBJECT)]


def owners():
    """User name -> the OwnerContact tag the demo seeds (c7n-mailer's contact_tags)."""
    return {u['name']: u['tags'].get('OwnerContact')
            for u in seed.demo()['accounts'][MAIN]['users']}


def sweep(aws, home, vars_file, config):
    """One hourly sweep: custodian run, then c7n-mailer. Returns both processes and the
    messages the mailer found in the queue."""
    custodian = run(aws, 'custodian', 'run', '-s', home / 'out', '--cache-period', '0',
                    '--vars-file', vars_file, POLICY, home=home)
    queued = notifications(aws)
    aws.reset_calls()
    mailer = run_mailer(aws, config, home)
    return custodian, queued, mailer


@pytest.fixture(scope='module')
def first(tmp_path_factory):
    """The demo account after one sweep, with the SMTP server still up for a second one."""
    home = tmp_path_factory.mktemp('mailer')
    vars_file = home / 'vars.yml'
    vars_file.write_text(f'security_email: {SECURITY}\n')
    with LocalAWS() as aws, SmtpSink(home / 'mail') as smtp:
        aws.seed(seed.demo())
        config = write_config(smtp, home / 'mailer.yml')
        custodian, queued, mailer = sweep(aws, home, vars_file, config)
        yield dict(aws=aws, smtp=smtp, home=home, vars_file=vars_file, config=config,
                   custodian=custodian, queued=queued, mailer=mailer,
                   mailer_calls=Counter(f"{c['service']}:{c['operation']}" for c in aws.calls()),
                   delivered=smtp.messages(),
                   outcomes=json.loads(home.joinpath('out', *OUTCOMES).read_text()))


def by_key(delivered):
    """Key id, or '(no key id)' -> [(table row, delivered message)]."""
    found = {}
    for mail in delivered:
        for row in mailbox.rows(mail['message']):
            key = row['Access key']
            found.setdefault(key, []).append((row, mail))
    return found


def test_custodian_queued_one_message_and_the_mailer_emptied_the_queue(first):
    assert first['custodian'].returncode == 0, first['custodian'].stderr
    assert first['mailer'].returncode == 0, first['mailer'].stderr
    # One message per policy that matched: exposed-keys, and exposed-root-keys for the root key.
    sent = {m['policy']['name']: m for m in first['queued']}
    assert len(first['queued']) == len(sent) == 2
    assert sent['exposed-keys']['action']['template'] == 'exposed-keys.html'
    assert sent['exposed-root-keys']['action']['template'] == 'exposed-root-keys.html'
    assert notifications(first['aws']) == []
    assert 'Sent account:' in first['mailer'].stderr


def test_the_mailer_reads_and_deletes_from_sqs_and_calls_nothing_else(first):
    # No STS, IAM, SES or KMS: the queue URL is given, SMTP needs no AWS credentials.
    assert first['mailer_calls'] == {'sqs:ReceiveMessage': 2, 'sqs:DeleteMessage': 2}


def test_one_email_per_owner_each_also_to_security(first):
    notified_users = {r['UserName'] for r in first['outcomes']}
    contact = owners()
    expected = {tuple(sorted({contact[u], SECURITY} - {None})) for u in notified_users}
    got = [tuple(sorted(mail['rcpt_tos'])) for mail in about_users(first['delivered'])]
    assert sorted(got) == sorted(expected)
    for mail in about_users(first['delivered']):
        message = mail['message']
        assert sorted(a.strip() for a in message['To'].split(',')) == sorted(mail['rcpt_tos'])
        assert message['From'] == yaml.safe_load(EXAMPLE.read_text())['from_address']
        assert message['Subject'] == (
            f'Exposed AWS access keys in account {MAIN}: deactivation results')
        assert message.get_content_type() == 'text/html'


def test_every_key_is_named_with_fraud_type_case_outcome_to_its_owner(first):
    rows = by_key(about_users(first['delivered']))
    contact = owners()
    for record in first['outcomes']:
        key = record['AccessKeyId'] or '(no key id)'
        candidates = [(row, mail) for row, mail in rows[key]
                      if row['Support case'] == record['CaseId']]
        assert len(candidates) == 1, key
        [(row, mail)] = candidates
        assert row['Fraud type'] == record['FraudType']
        assert row['Outcome'] == SAYS[record['Outcome']]
        assert SECURITY in mail['rcpt_tos']
        owner = contact[record['UserName']]
        assert owner in mail['rcpt_tos'], (key, mail['rcpt_tos'])
        assert f"IAM user {record['UserName']}" in mailbox.lines(mail['message'])


def test_every_deactivated_key_is_in_an_email(first):
    rows = by_key(about_users(first['delivered']))
    expected = seed.DEMO_EXPECTED[MAIN]['inactive']
    assert set(expected) <= set(rows)
    for key in expected:
        [(row, _)] = rows[key]
        assert row['Outcome'] in (SAYS['deactivated'], SAYS['already-inactive'])
    assert rows['AKIAIOSFODNN7EXAMPLE'][0][0]['Outcome'] == SAYS['deactivated']
    assert rows['AKIAI44QH8DH3EXAMPLE'][0][0]['Outcome'] == SAYS['already-inactive']
    # Keys nobody flagged, and the root key, are in no email about users.
    assert not set(rows) & (set(seed.DEMO_EXPECTED[MAIN]['unchanged'])
                            | set(seed.DEMO_EXPECTED[MAIN]['root']))


def test_every_email_gives_the_next_steps(first):
    for mail in about_users(first['delivered']):
        text = mailbox.lines(mail['message'])
        steps = [line for line in text if line.startswith(NEXT_STEPS)]
        assert all(any(s.startswith(p) for s in steps) for p in NEXT_STEPS), text
        cases = {row['Support case'] for row in mailbox.rows(mail['message'])}
        assert all(any(case in s for s in steps) for case in cases)


def test_a_row_without_key_id_says_what_to_do_first(first):
    [(row, mail)] = by_key(first['delivered'])['(no key id)']
    assert row['Support case'] == '12345678915'
    text = mailbox.lines(mail['message'])
    assert any(line.startswith("First: Find which of frank's keys was exposed") for line in text)


def test_the_root_key_email_goes_to_security_with_the_manual_steps(first):
    [mail] = [m for m in first['delivered'] if m not in about_users(first['delivered'])]
    assert mail['rcpt_tos'] == [SECURITY]
    assert mail['message']['Subject'] == (
        f'Exposed AWS root access key in account {MAIN}: action needed')
    [row] = mailbox.rows(mail['message'])
    [root_key] = seed.DEMO_EXPECTED[MAIN]['root']
    assert (row['Access key'], row['Fraud type'], row['Support case']) == (
        root_key, 'Exposed', '12345678916')
    assert row['Outcome'] == 'Not changed (needs a person)'
    text = '\n'.join(mailbox.lines(mail['message']))
    assert 'Sign in to the AWS Management Console as the root user' in text
    assert (f'aws sts assume-root --target-principal {MAIN} --task-policy-arn '
            'arn=arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials') in text
    assert f'aws iam delete-access-key --access-key-id {root_key}' in text
    assert 'Close the AWS support case 12345678916' in text


def test_the_queued_message_renders_as_a_slack_payload(first, monkeypatch):
    """The Slack template, through c7n-mailer's own SlackDelivery, on what custodian queued."""
    def refuse(*args, **kwargs):
        raise AssertionError('no network in this test')
    monkeypatch.setattr(requests, 'post', refuse)
    [message] = [m for m in first['queued'] if m['policy']['name'] == 'exposed-keys']
    message['action']['to'] = ['slack://#security-alerts']
    config = {'templates_folders': [str(TEMPLATES)], 'slack_token': None}
    [(channel, payload)] = SlackDelivery(config, logging.getLogger('test'), None) \
        .get_to_addrs_slack_messages_map(message).items()
    payload = json.loads(payload)
    assert channel == payload['channel'] == 'security-alerts'
    text = '\n'.join(b['text']['text'] for b in payload['blocks'] if b['type'] == 'section')
    for record in first['outcomes']:
        key = record['AccessKeyId'] or '(no key id)'
        [line] = [line for line in text.splitlines() if line.startswith(f'• `{key}` ')
                  and f"case {record['CaseId']}," in line]
        assert f"• `{key}` {record['FraudType']}, case {record['CaseId']}," in line
        assert f"*{SAYS[record['Outcome']]}*" in line


def test_the_example_config_is_valid_and_template_folders_come_from_the_command():
    """README: mailer.yml cannot name template folders; --templates does."""
    config = yaml.safe_load(EXAMPLE.read_text())
    jsonschema.validate(config, CONFIG_SCHEMA)
    assert config['smtp_ssl'] is False and config['contact_tags'] == ['OwnerContact']
    with pytest.raises(jsonschema.ValidationError, match='templates_folders'):
        jsonschema.validate(dict(config, templates_folders=[str(TEMPLATES)]), CONFIG_SCHEMA)


@pytest.fixture(scope='module')
def second(first):
    """A second sweep right after the first, within the same minute: nothing changed."""
    aws, smtp = first['aws'], first['smtp']
    before = len(smtp.messages())
    custodian, queued, mailer = sweep(aws, first['home'], first['vars_file'], first['config'])
    return dict(custodian=custodian, queued=queued, mailer=mailer,
                delivered=smtp.messages()[before:])


@pytest.fixture(scope='module')
def reactivated(second, first):
    """Then someone sets alice's exposed key Active again, and the next sweep runs."""
    aws, smtp = first['aws'], first['smtp']
    aws.client('iam').update_access_key(
        UserName='alice', AccessKeyId='AKIAIOSFODNN7EXAMPLE', Status='Active')
    before = len(smtp.messages())
    custodian, queued, mailer = sweep(aws, first['home'], first['vars_file'], first['config'])
    return dict(custodian=custodian, queued=queued, mailer=mailer,
                delivered=smtp.messages()[before:])


def test_the_first_sweep_marks_every_key_new(first):
    rows = [row for mail in about_users(first['delivered'])
            for row in mailbox.rows(mail['message'])]
    assert rows and {row['New'] for row in rows} == {'new'}


def test_a_second_sweep_sends_nothing_new(second):
    assert second['custodian'].returncode == 0, second['custodian'].stderr
    assert second['mailer'].returncode == 0, second['mailer'].stderr
    # exposed-root-keys reminds security of the root key on every run, by design.
    assert [m['policy']['name'] for m in second['queued']] == ['exposed-root-keys']
    assert about_users(second['delivered']) == []
    [reminder] = second['delivered']
    assert reminder['rcpt_tos'] == [SECURITY]


def test_a_key_turned_on_again_is_deactivated_and_mailed_again(reactivated):
    assert reactivated['custodian'].returncode == 0, reactivated['custodian'].stderr
    [mail] = about_users(reactivated['delivered'])
    assert sorted(mail['rcpt_tos']) == ['alice@example.com', SECURITY]
    [row] = mailbox.rows(mail['message'])
    assert (row['Access key'], row['Outcome'], row['New']) == (
        'AKIAIOSFODNN7EXAMPLE', SAYS['deactivated'], 'new')
