"""The iam-user filter `exposed-keys`."""
import logging

from c7n.filters import Filter
from c7n.resources.iam import User
from c7n.utils import type_schema

from c7n_exposedkeys import events, findings, lambdaconfig, trustedadvisor

log = logging.getLogger('custodian.exposedkeys')

ANNOTATION = 'c7n:exposed-keys'
MATCHED = 'c7n:matched-keys'
MATCH_TYPE = 'exposed'
ENTRY_FIELDS = (
    'AccessKeyId', 'FraudType', 'CaseId', 'TimeUpdated', 'Deadline', 'Location',
    'UsageUsdPerDay', 'IsSuppressed', 'Status')


def options_schema():
    """The row-selection options; exposed-root-keys (rootkeys.py) takes the same ones."""
    return {
        'fraud-types': {'type': 'array', 'minItems': 1,
                        'items': {'type': 'string', 'minLength': 1}},
        'statuses': {'type': 'array', 'minItems': 1, 'uniqueItems': True,
                     'items': {'enum': list(findings.EXPOSED_STATUSES)},
                     'default': list(findings.EXPOSED_STATUSES)},
        'include-suppressed': {'type': 'boolean', 'default': True},
    }


def selects(options, row):
    """True when a parsed row passes a filter's statuses, include-suppressed and fraud-types."""
    if row['Status'] not in options.get('statuses', findings.EXPOSED_STATUSES):
        return False
    if row['IsSuppressed'] and not options.get('include-suppressed', True):
        return False
    wanted = options.get('fraud-types')
    if wanted and row['FraudType'] is not None:
        return row['FraudType'].lower() in {f.lower() for f in wanted}
    return True


@User.filter_registry.register('exposed-keys')
class ExposedKeys(Filter):
    """IAM users whose access keys AWS Trusted Advisor flags as exposed.

    Reads the "Exposed Access Keys" check (id 12Fnkpl8Y5) once per account per
    run, through the Support API in the partition's support region; it needs a
    Business, Enterprise On-Ramp or Enterprise support plan. A user matches
    when a row with status ``error`` or ``warning`` names it; ``ok`` rows never
    match, and root-account rows are logged, never matched to IAM users.

    Each matched user gets ``c7n:exposed-keys``, one entry per flagged key
    (``AccessKeyId``, ``FraudType``, ``CaseId``, ``TimeUpdated``, ``Deadline``,
    ``Location``, ``UsageUsdPerDay``, ``IsSuppressed``, ``Status``), and the
    keys are merged into ``c7n:matched-keys`` so ``remove-keys`` with
    ``matched: true`` acts on the same keys. A missing cell stays null: a key
    is never let go over a missing detail. A row with no key id still matches
    its user, with ``AccessKeyId`` null.

    In the ``exposed-keys-event`` mode the rows come from the AWS Health or
    Trusted Advisor event instead, only for the keys it names, and Trusted
    Advisor is not read; a Health finding's fraud type is its event code.

    ``fraud-types`` (case-insensitive) narrows by fraud type, though a row
    with an empty fraud type always matches; ``statuses`` picks ``error``
    and/or ``warning``; ``include-suppressed: false`` skips suppressed rows.

    :example:

    .. code-block:: yaml

        policies:
          - name: iam-users-with-exposed-keys
            resource: iam-user
            filters:
              - type: exposed-keys
                fraud-types: [Exposed, Potentially compromised]
                statuses: [error, warning]
                include-suppressed: true
            actions:
              - deactivate-exposed-keys
    """

    schema = type_schema('exposed-keys', **options_schema())
    schema_alias = False
    permissions = trustedadvisor.PERMISSIONS
    annotation_key = ANNOTATION
    matched_annotation_key = MATCHED

    def validate(self):
        lambdaconfig.check(self)
        return self

    def get_permissions(self):
        return () if self.fed_by_events() else self.permissions

    def fed_by_events(self):
        return (self.manager.data.get('mode') or {}).get('type') == lambdaconfig.EVENT_MODE

    def process(self, resources, event=None):
        if self.fed_by_events():
            # The exposed-keys-event mode resolved the event's keys and their users.
            rows = (event or {}).get(events.FINDINGS)
            if rows is None:
                log.warning("exposed-keys: policy:%s is fed by exposure events and got none; "
                            "nothing matched", self.manager.data.get('name'))
                rows = []
            check = trustedadvisor.CheckResult(self.manager.config.account_id, rows)
        else:
            check = trustedadvisor.get_check_result(self.manager)
        flagged = self.flagged_by_user(check, resources)
        matched = [r for r in resources if r['UserName'] in flagged]
        for r in matched:
            entries = r[ANNOTATION] = flagged[r['UserName']]
            self.merge_annotation(r, MATCHED, [
                {'AccessKeyId': e['AccessKeyId'], 'c7n:match-type': MATCH_TYPE}
                for e in entries if e['AccessKeyId']])
        log.info(
            "exposed-keys: account:%s users:%d matched:%d keys:%d",
            check.account_id, len(resources), len(matched),
            sum(len(v) for v in flagged.values()))
        return matched

    def flagged_by_user(self, check, resources):
        """{UserName: [entry, ...]} for the selected rows naming these users."""
        by_name = {r['UserName'].lower(): r['UserName'] for r in resources}
        flagged, unseen = {}, []
        for row in filter(self.selects, check.rows):
            name = None if row['IsRoot'] else by_name.get(row['UserName'].lower())
            if name is None and (row['IsRoot'] or row['UserName'].lower() == findings.ROOT_NAME):
                check.warn_root(row)
            elif name is None:
                unseen.append('%s:%s' % (row['UserName'], row['AccessKeyId']))
            else:
                entries = flagged.setdefault(name, [])
                if row['AccessKeyId'] is None or row['AccessKeyId'] not in {
                        e['AccessKeyId'] for e in entries}:
                    entries.append({k: row[k] for k in ENTRY_FIELDS})
        if unseen:
            log.warning(
                "exposed-keys: account:%s %d flagged key(s) name users this policy does not see "
                "(deleted, or removed by an earlier filter): %s%s", check.account_id,
                len(unseen), ', '.join(unseen[:10]),
                ' and %d more' % (len(unseen) - 10) if len(unseen) > 10 else '')
        return flagged

    def selects(self, row):
        return selects(self.data, row)
