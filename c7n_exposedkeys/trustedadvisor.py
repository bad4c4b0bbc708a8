"""Read Trusted Advisor's "Exposed Access Keys" check, once per account per run."""
import logging

from botocore.exceptions import ClientError
from c7n.exceptions import PolicyExecutionError
from c7n.utils import get_partition, get_support_region, local_session

from c7n_exposedkeys import findings

log = logging.getLogger('custodian.exposedkeys')

CHECK_ID = '12Fnkpl8Y5'
PERMISSIONS = (
    'support:DescribeTrustedAdvisorCheckResult',
    'support:DescribeTrustedAdvisorChecks',
)
PLANS = 'Business, Enterprise On-Ramp or Enterprise'

# (account, partition) -> CheckResult; one process run shares it across
# policies. Anything that runs many events in one process clears it per event.
_cache = {}


def clear_cache():
    _cache.clear()


class CheckResult:
    """One account's parsed check result."""

    def __init__(self, account_id, rows):
        self.account_id = account_id
        self.rows = rows
        self.warned_root = set()

    def warn_root(self, row):
        # Root keys can't be deactivated by IAM; tell the operator once a run.
        if row['AccessKeyId'] in self.warned_root:
            return
        self.warned_root.add(row['AccessKeyId'])
        log.warning(
            "exposed-keys: account:%s root key:%s flagged as %s; root keys need a person "
            "signed in as root (or Organizations' centralized root access) to deactivate; "
            "policy exposed-root-keys (resource account) notifies them with the steps",
            self.account_id, row['AccessKeyId'], row['FraudType'])


def get_check_result(manager):
    """Return the account's CheckResult, calling AWS at most once per run.

    A failure is cached too: the next policy fails at once, without another
    round of retries against an account that can't answer.
    """
    account_id = manager.config.account_id
    key = (account_id, get_partition(manager.config.region))
    if key not in _cache:
        try:
            _cache[key] = _load(manager, account_id)
        except PolicyExecutionError as e:
            _cache[key] = e
    if isinstance(_cache[key], PolicyExecutionError):
        raise PolicyExecutionError(str(_cache[key]))
    return _cache[key]


def _load(manager, account_id):
    client = local_session(manager.session_factory).client(
        'support', region_name=get_support_region(manager))
    try:
        result = manager.retry(
            client.describe_trusted_advisor_check_result,
            checkId=CHECK_ID, language='en')['result']
    except ClientError as e:
        raise PolicyExecutionError(explain(e, account_id)) from e

    flagged = result.get('flaggedResources') or []
    status = result.get('status')
    log.info(
        "exposed-keys: account:%s check:%s status:%s rows:%d refreshed:%s",
        account_id, CHECK_ID, status, len(flagged), result.get('timestamp'))
    if not flagged:
        log.info("exposed-keys: account:%s check:%s lists no keys (status:%s)",
                 account_id, CHECK_ID, status)
    rows = findings.parse_rows(flagged, _headings(manager, client) if flagged else None)
    check = CheckResult(account_id, rows)
    for row in rows:
        if row['IsRoot'] and row['Status'] in findings.EXPOSED_STATUSES:
            check.warn_root(row)
    return check


def _headings(manager, client):
    """Column headings by the check's own metadata, else the documented order."""
    try:
        checks = manager.retry(
            client.describe_trusted_advisor_checks, language='en')['checks']
    except ClientError as e:
        log.warning(
            "exposed-keys: could not read check headings (%s), using the documented order",
            e.response['Error']['Code'])
        return findings.HEADINGS
    headings = next(
        (c.get('metadata') for c in checks if c.get('id') == CHECK_ID), None) or []
    if not set(findings.HEADINGS).issubset(headings):
        log.warning(
            "exposed-keys: check:%s headings %s lack some of %s, using the documented order",
            CHECK_ID, headings, list(findings.HEADINGS))
        return findings.HEADINGS
    return headings


def explain(error, account_id):
    """A one-line message that says what to do about a Trusted Advisor error."""
    code = error.response['Error'].get('Code', '')
    message = error.response['Error'].get('Message', '')
    where = "account %s" % account_id
    if code == 'SubscriptionRequiredException' or (
            code == 'InvalidParameterValueException' and 'Premium Support' in message):
        return ("Trusted Advisor check %s (Exposed Access Keys) needs a %s support plan on "
                "%s; AWS said: %s" % (CHECK_ID, PLANS, where, message))
    if code == 'AccessDeniedException':
        return ("IAM denied support:DescribeTrustedAdvisorCheckResult on %s; grant it (and "
                "support:DescribeTrustedAdvisorChecks) to the policy's role; AWS said: %s"
                % (where, message))
    if 'Unknown ID' in message:
        return ("Trusted Advisor does not know check id %s (Exposed Access Keys) on %s; "
                "it may be retired or unavailable, look it up with "
                "DescribeTrustedAdvisorChecks; AWS said: %s" % (CHECK_ID, where, message))
    return ("Trusted Advisor check %s could not be read on %s, so no key was changed; "
            "run the policy again later. AWS said: %s: %s" % (CHECK_ID, where, code, message))
