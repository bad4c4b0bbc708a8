"""The iam-user action `deactivate-exposed-keys`."""
import json
import logging

from botocore.exceptions import ClientError
from c7n.actions import BaseAction
from c7n.exceptions import PolicyExecutionError, PolicyValidationError
from c7n.resources.iam import User
from c7n.utils import local_session, type_schema

from c7n_exposedkeys import lambdaconfig, recipients
from c7n_exposedkeys.filters import ANNOTATION, ExposedKeys

log = logging.getLogger('custodian.exposedkeys')

# Outcome -> metric name; a metric each, so an alarm can watch ExposedKeysFailed.
OUTCOMES = {
    'deactivated': 'ExposedKeysDeactivated',
    'already-inactive': 'ExposedKeysAlreadyInactive',
    'gone': 'ExposedKeysGone',
    'no-key-id': 'ExposedKeysNoKeyId',
    'failed': 'ExposedKeysFailed',
}
OUTPUT_FILE = 'deactivate-exposed-keys.json'
# A key "gone" from the user's list may also be a key Trusted Advisor pinned on the wrong user.
LOG_LEVELS = {'failed': logging.ERROR, 'gone': logging.WARNING}


@User.action_registry.register('deactivate-exposed-keys')
class DeactivateExposedKeys(BaseAction):
    """Set the keys that ``exposed-keys`` flagged to Inactive; never delete them.

    Only the keys in the user's ``c7n:exposed-keys`` annotation are touched,
    and only after ListAccessKeys shows that user owns them and they are
    Active, so a false alarm is undone by setting the key Active again; while
    Trusted Advisor still lists the key, the next run deactivates it again
    unless the policy leaves its user out.
    Each entry gets an ``Outcome``: ``deactivated``, ``already-inactive``,
    ``gone`` (the user no longer exists, or the key is not among its keys),
    ``no-key-id`` (Trusted Advisor named no key) or ``failed: <error code>``.
    Failures never stop the policy: later actions such as ``notify`` still
    run. Outcomes are written to ``deactivate-exposed-keys.json`` in the
    policy's output folder and counted in c7n metrics: ``ExposedKeysDeactivated``,
    ``ExposedKeysAlreadyInactive``, ``ExposedKeysGone``, ``ExposedKeysNoKeyId``
    and ``ExposedKeysFailed`` (alarm on the last).

    A ``notify`` or ``notify-exposed-keys`` in the same policy whose
    recipients still hold a ``{placeholder}`` (no ``--vars-file`` given) fails
    the policy after the keys are deactivated, so nothing is sent to a literal
    placeholder.

    :example:

    .. code-block:: yaml

        policies:
          - name: deactivate-exposed-keys
            resource: iam-user
            filters:
              - exposed-keys
            actions:
              - deactivate-exposed-keys
    """

    schema = type_schema('deactivate-exposed-keys')
    permissions = ('iam:ListAccessKeys', 'iam:UpdateAccessKey')

    def validate(self):
        lambdaconfig.check(self)
        name = self.manager.data.get('name')
        if not any(isinstance(f, ExposedKeys) for f in self.manager.iter_filters()):
            raise PolicyValidationError(
                "policy:%s deactivate-exposed-keys needs the exposed-keys filter" % name)
        before = self.manager.actions[:self.manager.actions.index(self)]
        early = [a.type for a in before if a.type in recipients.NOTIFY_TYPES]
        if early:
            raise PolicyValidationError(
                "policy:%s put %s after deactivate-exposed-keys, so the message carries "
                "each key's outcome" % (name, early[0]))
        return self

    def process(self, users):
        unresolved = recipients.unresolved(self.manager.data)
        client = local_session(self.manager.session_factory).client('iam')
        results = []
        for user in users:
            results.extend(self.process_user(client, user))
        self.report(results)
        if unresolved:
            raise PolicyExecutionError(
                "policy:%s keys were processed (see %s) but notify was not sent: recipient %s "
                "has no value; pass it with --vars-file (custodian run) or under vars: in the "
                "accounts file (c7n-org); see policies/vars.example.yml"
                % (self.manager.data.get('name'), OUTPUT_FILE, ', '.join(unresolved)))

    def process_user(self, client, user):
        name = user['UserName']
        entries = user.get(ANNOTATION, [])
        status, failure = {}, None
        if any(e.get('AccessKeyId') for e in entries):
            # Only keys this user owns are written to, whatever the check said.
            try:
                listed = self.manager.retry(
                    client.list_access_keys, UserName=name,
                    ignore_err_codes=('NoSuchEntity',))
            except ClientError as e:
                failure = 'failed: %s' % e.response['Error']['Code']
            else:
                status = {k['AccessKeyId']: k['Status']
                          for k in (listed or {}).get('AccessKeyMetadata', [])}
        for entry in entries:
            key = entry.get('AccessKeyId')
            if not key:
                entry['Outcome'] = 'no-key-id'
            elif failure:
                entry['Outcome'] = failure
            elif key not in status:
                entry['Outcome'] = 'gone'
            elif status[key] != 'Active':
                entry['Outcome'] = 'already-inactive'
            else:
                entry['Outcome'] = self.deactivate(client, name, key)
            log.log(
                LOG_LEVELS.get(entry['Outcome'].split(':')[0], logging.INFO),
                "exposed-keys: user:%s key:%s fraud:%s case:%s outcome:%s",
                name, key, entry.get('FraudType'), entry.get('CaseId'), entry['Outcome'])
        return [dict(entry, UserName=name) for entry in entries]

    def deactivate(self, client, name, key):
        try:
            self.manager.retry(
                client.update_access_key,
                UserName=name, AccessKeyId=key, Status='Inactive')
        except ClientError as e:
            code = e.response['Error']['Code']
            return 'gone' if code == 'NoSuchEntity' else 'failed: %s' % code
        return 'deactivated'

    def report(self, results):
        self.manager.ctx.output.write_file(OUTPUT_FILE, json.dumps(results, indent=2))
        counts = dict.fromkeys(OUTCOMES, 0)
        for r in results:
            counts[r['Outcome'].split(':')[0]] += 1
        for outcome, count in counts.items():
            self.manager.ctx.metrics.put_metric(
                OUTCOMES[outcome], count, 'Count', Scope='Policy')
        if counts['failed']:
            log.error(
                "exposed-keys: policy:%s %d key(s) could not be deactivated; see %s",
                self.manager.data.get('name'), counts['failed'], OUTPUT_FILE)
