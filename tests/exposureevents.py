"""AWS exposure events as EventBridge delivers them, after AWS's documented samples."""
import copy

from localaws.seed import DEADLINE, UPDATED

ACCOUNT = '123456789012'
HEALTH_CODES = (
    'AWS_RISK_CREDENTIALS_EXPOSED',
    'AWS_RISK_CREDENTIALS_EXPOSURE_SUSPECTED',
    'AWS_RISK_CREDENTIALS_COMPROMISED',
    'AWS_RISK_CREDENTIALS_COMPROMISE_SUSPECTED',
    'AWS_RISK_IAM_QUARANTINE',
)
# Where AWS has put the key id in a Health event (reference §3).
KEY_LOCATIONS = ('affectedEntities', 'eventMetadata', 'additionalDetails')


def health(key='AKIAIOSFODNN7EXAMPLE', code='AWS_RISK_CREDENTIALS_EXPOSED',
           location='affectedEntities', user=None, **detail):
    """An AWS Health RISK event naming `key` in `location`."""
    body = {
        'eventArn': 'arn:aws:health:global::event/RISK/%s/%s_EXAMPLE' % (code, code),
        'service': 'RISK',
        'eventTypeCode': code,
        'eventTypeCategory': 'issue',
        'eventRegion': 'global',
        'startTime': 'Thu, 03 Dec 2026 09:00:00 GMT',
        'eventDescription': [{'language': 'en_US', 'latestDescription':
                              'Your AWS access key may have been exposed.'}],
    }
    if location == 'affectedEntities':
        body['affectedEntities'] = [{'entityValue': key}]
    elif location == 'eventMetadata':
        body['eventMetadata'] = {'publicKey': key, 'userName': user}
    elif location == 'additionalDetails':
        body['additionalDetails'] = {'AccessKeyId': key}
    body.update(detail)
    return envelope('aws.health', 'AWS Health Event', body)


def trusted_advisor(key='AKIAIOSFODNN7EXAMPLE', user='alice', status='ERROR', **cells):
    """Trusted Advisor's "Exposed Access Keys" item refresh event."""
    item = {
        'Access Key ID': key,
        'User Name (IAM or Root)': user,
        'Fraud Type': 'Exposed',
        'Case ID': '12345678910',
        'Time Updated': UPDATED,
        'Location': 'https://github.com/example/webapp/blob/main/settings.py',
        'Deadline': DEADLINE,
        'Usage (USD per Day)': '0.25',
    }
    item.update(cells)
    return envelope('aws.trustedadvisor', 'Trusted Advisor Check Item Refresh Notification', {
        'check-name': 'Exposed Access Keys',
        'check-item-detail': item,
        'status': status,
        'resource_id': '',
        'uuid': 'aa12345f-55c7-498e-b7ac-123456781234',
    })


def envelope(source, detail_type, detail, account=ACCOUNT):
    return {
        'version': '0',
        'id': '7bf73129-1428-4cd3-a780-95db273d1602',
        'detail-type': detail_type,
        'source': source,
        'account': account,
        'time': '2026-12-03T09:01:00Z',
        'region': 'us-east-1',
        'resources': [],
        'detail': detail,
    }


def unrelated():
    """An event the rule never sends, in case one is sent by hand."""
    return envelope('aws.ec2', 'EC2 Instance State-change Notification',
                    {'instance-id': 'i-1234567890abcdef0', 'state': 'running'})


def fresh(event):
    # The mode annotates the event it handles; give every run its own copy.
    return copy.deepcopy(event)
