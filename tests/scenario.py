"""The account the placebo tests were recorded against (seeded into the local AWS)."""
from localaws.seed import DEADLINE, UPDATED, row, user

UPDATED_ISO = '2026-12-03T09:00:00.000Z'
DEADLINE_ISO = '2026-12-10T09:00:00.000Z'
REPO = 'https://github.com/example/webapp/blob/main/settings.py'

USERS = [
    user('alice', 'alice@example.com', ('AKIAIOSFODNN7EXAMPLE', 'Active')),
    user('bob', 'bob@example.com',
         ('AKIAIOSFODNN1EXAMPLE', 'Active'), ('AKIAIOSFODNN2EXAMPLE', 'Active')),
    user('carol', 'carol@example.com', ('AKIAI44QH8DH1EXAMPLE', 'Active')),
    user('dave', 'dave@example.com', ('AKIAIOSFODNN3EXAMPLE', 'Active')),
    user('erin', 'erin@example.com', ('AKIAIOSFODNN4EXAMPLE', 'Active')),
    user('frank', 'frank@example.com', ('AKIAIOSFODNN5EXAMPLE', 'Active')),
    user('grace', 'grace@example.com', ('AKIAI44QH8DH4EXAMPLE', 'Active')),
    user('ivan', 'ivan@example.com',
         ('AKIAI44QH8DH5EXAMPLE', 'Active'), ('AKIAI44QH8DH6EXAMPLE', 'Inactive')),
]


def short_row(*cells):
    return {'status': 'error', 'resourceId': 'short-row', 'metadata': list(cells)}


ROWS = [
    row('error', 'AKIAIOSFODNN7EXAMPLE', 'alice', 'Exposed', '12345678910',
        UPDATED, REPO, DEADLINE, '0.25'),
    row('error', 'AKIAIOSFODNN2EXAMPLE', 'bob', 'Potentially compromised', '12345678911',
        UPDATED, '', DEADLINE, '48.10'),
    row('warning', 'AKIAI44QH8DH1EXAMPLE', 'carol', 'Exposed', '12345678912',
        UPDATED, '', '', ''),
    row('ok', 'AKIAIOSFODNN3EXAMPLE', 'dave', 'Exposed', '12345678800', UPDATED, '', '', ''),
    row('error', 'AKIAIOSFODNN4EXAMPLE', 'erin', 'Exposed', '12345678801',
        UPDATED, '', '', '', suppressed=True),
    row('error', '', 'frank', 'Suspected', '12345678915', UPDATED, '', DEADLINE, '75.00'),
    row('error', 'AKIAI44QH8DH4EXAMPLE', 'grace', '', '', '', '', '', ''),
    row('error', 'AKIAI44QH8DH6EXAMPLE', 'ivan', 'Exposed', '12345678914', UPDATED, '', '', ''),
    row('error', 'AKIAROOTKEY01EXAMPLE', '<root_account>', 'Exposed', '12345678916',
        UPDATED, '', DEADLINE, '0', region=None),
    row('error', 'AKIAROOTKEY02EXAMPLE', 'root', 'Exposed', '12345678917', UPDATED, '', '', ''),
    row('error', 'AKIAIOSFODNN8EXAMPLE', 'mallory', 'Exposed', '12345678918', '', '', '', ''),
    short_row('AKIAIOSFODNN9EXAMPLE', 'heidi'),
    row('error', 'AKIAIOSFODNN9EXAMPLE', '', 'Exposed', '12345678919', '', '', '', ''),
]

# What DescribeTrustedAdvisorCheckResult can fail with, and the advice the filters give:
# (flight data name, code, message, expected in the policy's error).
CHECK_ERRORS = [
    ('subscription', 'SubscriptionRequiredException',
     'AWS Premium Support Subscription is required to use this service.',
     'needs a Business, Enterprise On-Ramp or Enterprise support plan on account 123456789012'),
    ('access_denied', 'AccessDeniedException',
     'User: arn:aws:sts::123456789012:assumed-role/custodian/run is not authorized to '
     'perform: support:DescribeTrustedAdvisorCheckResult',
     'IAM denied support:DescribeTrustedAdvisorCheckResult on account 123456789012; grant it'),
    ('unknown_id', 'InvalidParameterValueException', 'Unknown ID: 12Fnkpl8Y5',
     'Trusted Advisor does not know check id 12Fnkpl8Y5'),
]


def seed(rows=ROWS, status='error', users=USERS, errors=None):
    account = {'users': users, 'queues': ['custodian-mailer'],
               'trusted_advisor': {'status': status, 'timestamp': '2026-12-03T09:12:44Z',
                                   'rows': rows}}
    if errors:
        account['trusted_advisor']['errors'] = errors
    return {'accounts': {'123456789012': account}}
