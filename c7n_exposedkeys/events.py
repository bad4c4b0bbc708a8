"""Turn AWS's exposure events (Health, Trusted Advisor) into findings, and the rule that matches them.

Pure parsing: no AWS call, no c7n import. A finding has the shape
``findings.parse_row`` gives a Trusted Advisor row; a Health finding's
``UserName`` is None unless the event names the user, and its ``FraudType``
is the event's type code.
"""
import re

from c7n_exposedkeys import findings

HEALTH_SOURCE = 'aws.health'
HEALTH_DETAIL_TYPE = 'AWS Health Event'
HEALTH_SERVICE = 'RISK'
HEALTH_CODES = (
    'AWS_RISK_CREDENTIALS_EXPOSED',
    'AWS_RISK_CREDENTIALS_EXPOSURE_SUSPECTED',
    'AWS_RISK_CREDENTIALS_COMPROMISED',
    'AWS_RISK_CREDENTIALS_COMPROMISE_SUSPECTED',
    'AWS_RISK_IAM_QUARANTINE',
)
TA_SOURCE = 'aws.trustedadvisor'
TA_DETAIL_TYPE = 'Trusted Advisor Check Item Refresh Notification'
TA_CHECK_NAME = 'Exposed Access Keys'
TA_STATUSES = {'ERROR': 'error', 'WARN': 'warning', 'OK': 'ok'}
# Only the statuses that can lead to a change invoke the function.
TA_RULE_STATUSES = ('ERROR', 'WARN')

# A long-term access key id (user or root); temporary ASIA keys can't be deactivated.
KEY_ID = re.compile(r'AKIA[A-Z0-9]{16}')

# Where the event mode hands the resolved findings to the exposed-keys filter.
FINDINGS = 'c7n:exposed-keys-findings'


def pattern(codes=HEALTH_CODES, trusted_advisor=True):
    """The EventBridge pattern that matches exactly the events `parse` acts on."""
    health = {
        'source': [HEALTH_SOURCE],
        'detail-type': [HEALTH_DETAIL_TYPE],
        'detail': {'service': [HEALTH_SERVICE], 'eventTypeCode': list(codes)},
    }
    if not trusted_advisor:
        return health
    advisor = {
        'source': [TA_SOURCE],
        'detail-type': [TA_DETAIL_TYPE],
        'detail': {'check-name': [TA_CHECK_NAME], 'status': list(TA_RULE_STATUSES)},
    }
    return {'$or': [health, advisor]}


def parse(event, codes=HEALTH_CODES, trusted_advisor=True):
    """``(findings, reason)``: the event's findings, or ``[]`` and why it was ignored."""
    if not isinstance(event, dict):
        return [], 'is not a JSON object'
    source, detail_type = event.get('source'), event.get('detail-type')
    detail = event.get('detail')
    if source == HEALTH_SOURCE and detail_type == HEALTH_DETAIL_TYPE:
        if not isinstance(detail, dict):
            return [], 'is a Health event without a detail object'
        return _health(event, detail, codes)
    if source == TA_SOURCE and detail_type == TA_DETAIL_TYPE:
        if not trusted_advisor:
            return [], 'is a Trusted Advisor event and the policy takes Health events only'
        if not isinstance(detail, dict):
            return [], 'is a Trusted Advisor event without a detail object'
        return _trusted_advisor(detail)
    return [], 'is not an exposure event (source:%s detail-type:%s)' % (source, detail_type)


def _health(event, detail, codes):
    code = detail.get('eventTypeCode')
    if detail.get('service') != HEALTH_SERVICE:
        return [], 'is a Health event for service %s, not %s' % (
            detail.get('service'), HEALTH_SERVICE)
    if code not in codes:
        return [], 'is a Health event with code %s, not one of %s' % (code, ', '.join(codes))
    named = {}  # key id -> user name the event gives, or None
    for key, user in _health_keys(detail):
        if named.get(key) is None:
            named[key] = user
    if not named:
        return [], ('is a %s Health event that names no access key id (looked in '
                    'affectedEntities[].entityValue, eventMetadata.publicKey, '
                    'additionalDetails.AccessKeyId)' % code)
    # A closed event reports the issue resolved: it must not undo a deliberate reactivation.
    status = 'ok' if str(detail.get('statusCode', '')).lower() == 'closed' else 'error'
    updated = findings.clean(
        detail.get('lastUpdatedTime') or detail.get('startTime') or event.get('time'))
    return [{
        'UserName': findings.user_name(user) if user else None,
        'IsRoot': findings.is_root(user) if user else False,
        'AccessKeyId': key,
        'FraudType': code,
        'CaseId': None,
        'TimeUpdated': updated,
        'Deadline': None,
        'Location': None,
        'UsageUsdPerDay': None,
        'IsSuppressed': False,
        'Status': status,
    } for key, user in named.items()], None


def _health_keys(detail):
    """(key id, user name or None) from every place AWS has put the key."""
    entities = detail.get('affectedEntities')
    for entity in entities if isinstance(entities, list) else ():
        if isinstance(entity, dict):
            key = key_id(entity.get('entityValue'))
            if key:
                yield key, None
    metadata = detail.get('eventMetadata')
    if isinstance(metadata, dict):
        key = key_id(metadata.get('publicKey'))
        if key:
            yield key, findings.clean(metadata.get('userName'))
    additional = detail.get('additionalDetails')
    if isinstance(additional, dict):
        key = key_id(additional.get('AccessKeyId'))
        if key:
            yield key, None


def _trusted_advisor(detail):
    check = detail.get('check-name')
    if check != TA_CHECK_NAME:
        return [], 'is a Trusted Advisor event for check %r, not %r' % (check, TA_CHECK_NAME)
    item = detail.get('check-item-detail')
    if not isinstance(item, dict):
        return [], 'is a Trusted Advisor event without a check-item-detail object'
    status = TA_STATUSES.get(str(detail.get('status', '')).upper())
    if status is None:
        return [], 'is a Trusted Advisor event with unknown status %r' % detail.get('status')
    cell = findings.clean(item.get('Access Key ID'))
    if cell is not None and key_id(cell) is None:
        return [], 'is a Trusted Advisor event whose key id %r is not an access key id' % cell
    # The same column mapping as the check's rows: by heading, through findings.parse_row.
    row = {'status': status, 'resourceId': detail.get('resource_id') or detail.get('uuid'),
           'metadata': [item.get(heading) for heading in findings.HEADINGS]}
    finding = findings.parse_row(row, findings.HEADINGS)
    if finding is None:
        return [], 'is a Trusted Advisor event that names no user'
    return [finding], None


def key_id(value):
    """The access key id in `value`, upper-cased, or None if it isn't shaped like one."""
    if not isinstance(value, str):
        return None
    value = value.strip().upper()
    return value if KEY_ID.fullmatch(value) else None
