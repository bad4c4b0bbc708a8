"""Turn Trusted Advisor "Exposed Access Keys" rows into one finding per flagged key."""
import logging
from datetime import datetime, timezone

log = logging.getLogger('custodian.exposedkeys')

# The documented column order, used when the check's own headings can't be read.
HEADINGS = (
    'Access Key ID', 'User Name (IAM or Root)', 'Fraud Type', 'Case ID',
    'Time Updated', 'Location', 'Deadline', 'Usage (USD per Day)')
FIELDS = {
    'Access Key ID': 'AccessKeyId',
    'User Name (IAM or Root)': 'UserName',
    'Fraud Type': 'FraudType',
    'Case ID': 'CaseId',
    'Time Updated': 'TimeUpdated',
    'Location': 'Location',
    'Deadline': 'Deadline',
    'Usage (USD per Day)': 'UsageUsdPerDay',
}
TIME_FIELDS = ('TimeUpdated', 'Deadline')
EXPOSED_STATUSES = ('error', 'warning')
ROOT_NAME = 'root'


def missing(value):
    """Absent, null, empty or whitespace."""
    return value is None or (isinstance(value, str) and not value.strip())


def clean(value):
    return None if missing(value) else str(value).strip()


def iso_time(value):
    """Epoch milliseconds as ISO 8601 UTC; anything else is kept as given."""
    if value is None or not value.isdigit():
        return value
    try:
        moment = datetime.fromtimestamp(int(value) / 1000, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return value
    return moment.isoformat(timespec='milliseconds').replace('+00:00', 'Z')


def is_root(user):
    """True for the root user's unambiguous forms; a bare 'root' is decided later."""
    lowered = user.lower()
    return lowered == '<root_account>' or (
        lowered.startswith('arn:') and lowered.endswith(':root'))


def user_name(user):
    # An IAM user ARN names the user by its last path segment.
    if user.lower().startswith('arn:') and ':user/' in user:
        return user.rsplit('/', 1)[-1]
    return user


def parse_rows(rows, headings):
    """Findings for well-formed rows; malformed rows are logged and skipped."""
    headings = list(headings or HEADINGS)
    result = []
    for row in rows:
        finding = parse_row(row, headings)
        if finding is not None:
            result.append(finding)
    return result


def parse_row(row, headings):
    row_id = row.get('resourceId') if isinstance(row, dict) else None
    cells = row.get('metadata') if isinstance(row, dict) else None
    if not isinstance(cells, list) or len(cells) < len(headings):
        log.warning(
            "exposed-keys: skipping row:%s with %s cells, expected %d",
            row_id, len(cells) if isinstance(cells, list) else 'no', len(headings))
        return None
    values = {}
    for heading, cell in zip(headings, cells):
        if heading in FIELDS:
            values[FIELDS[heading]] = clean(cell)
    if missing(values.get('UserName')):
        log.warning(
            "exposed-keys: skipping row:%s key:%s with no user name",
            row_id, values.get('AccessKeyId'))
        return None
    for name in TIME_FIELDS:
        values[name] = iso_time(values.get(name))
    if values.get('AccessKeyId'):
        # IAM key ids are upper case; a lower-cased cell still names the same key.
        values['AccessKeyId'] = values['AccessKeyId'].upper()
    user = values.pop('UserName')
    return {
        'UserName': user_name(user),
        'IsRoot': is_root(user),
        'AccessKeyId': values.get('AccessKeyId'),
        'FraudType': values.get('FraudType'),
        'CaseId': values.get('CaseId'),
        'TimeUpdated': values.get('TimeUpdated'),
        'Deadline': values.get('Deadline'),
        'Location': values.get('Location'),
        'UsageUsdPerDay': values.get('UsageUsdPerDay'),
        'IsSuppressed': row.get('isSuppressed') is True,
        'Status': (clean(row.get('status')) or '').lower(),
    }
