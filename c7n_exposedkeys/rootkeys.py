"""The account filter `exposed-root-keys`: root-user keys Trusted Advisor flags."""
import logging

from botocore.exceptions import ClientError
from c7n.exceptions import PolicyExecutionError
from c7n.filters import Filter
from c7n.utils import local_session, type_schema

from c7n_exposedkeys import filters, findings, lambdaconfig, recipients, trustedadvisor

log = logging.getLogger('custodian.exposedkeys')

NAME = 'exposed-root-keys'
RESOURCE = 'account'


class ExposedRootKeys(Filter):
    """The account, when Trusted Advisor flags an access key of its root user.

    Reads the "Exposed Access Keys" check (id 12Fnkpl8Y5) like the iam-user
    filter ``exposed-keys``, and shares its one read per account per run. Root
    rows are those naming ``<root_account>`` or an ARN ending in ``:root``,
    and a bare ``root`` unless an IAM user has that name (case-insensitive;
    then ``exposed-keys`` handles the row). Only for a bare ``root`` row does
    it call ``iam:ListUsers`` to tell the two apart; if that call fails the
    row counts as root. ``fraud-types``, ``statuses`` and
    ``include-suppressed`` select rows as in ``exposed-keys``.

    The account gets ``c7n:exposed-keys``, one entry per flagged root key,
    with the same fields as ``exposed-keys`` writes on users. No IAM user or
    role can deactivate a root key, so this filter and its policy change
    nothing: they report, and a person acts. While Trusted Advisor lists the
    key, every run that includes the policy matches again.

    If a ``notify`` in the policy still has a ``{placeholder}`` recipient (no
    ``--vars-file``) and the account matches, the policy fails here instead of
    mailing a literal placeholder (not under ``--dryrun``, which sends nothing).

    :example:

    .. code-block:: yaml

        policies:
          - name: exposed-root-keys
            resource: account
            filters:
              - type: exposed-root-keys
                fraud-types: [Exposed, Potentially compromised]
                statuses: [error, warning]
                include-suppressed: true
            actions:
              - type: notify
                to: [security@example.com]
                transport:
                  type: sqs
                  queue: arn:aws:sqs:us-east-1:123456789012:custodian-mailer
    """

    schema = type_schema(NAME, **filters.options_schema())
    schema_alias = False
    permissions = trustedadvisor.PERMISSIONS + ('iam:ListUsers',)
    annotation_key = filters.ANNOTATION

    def validate(self):
        lambdaconfig.check(self)
        return self

    def process(self, resources, event=None):
        check = trustedadvisor.get_check_result(self.manager)
        entries = self.root_entries(check)
        log.info("exposed-root-keys: account:%s root keys:%d",
                 check.account_id, len(entries))
        if not entries:
            return []
        self.refuse_unresolved_recipients(entries)
        for r in resources:
            r[filters.ANNOTATION] = [dict(e) for e in entries]
        return resources

    def root_entries(self, check):
        """One entry per selected root key, in the check's order."""
        entries, seen, iam_names = [], set(), None
        for row in check.rows:
            bare = not row['IsRoot'] and row['UserName'].lower() == findings.ROOT_NAME
            if not (row['IsRoot'] or bare) or not filters.selects(self.data, row):
                continue
            if bare:
                if iam_names is None:
                    iam_names = self.iam_user_names()
                if findings.ROOT_NAME in iam_names:
                    log.info("exposed-root-keys: account:%s key:%s names IAM user %s, left to "
                             "exposed-keys", check.account_id, row['AccessKeyId'],
                             row['UserName'])
                    continue
            if row['AccessKeyId'] is not None and row['AccessKeyId'] in seen:
                continue
            seen.add(row['AccessKeyId'])
            entries.append({k: row[k] for k in filters.ENTRY_FIELDS})
        return entries

    def iam_user_names(self):
        """Lower-cased IAM user names, to tell a user called root from the root user."""
        client = local_session(self.manager.session_factory).client('iam')
        try:
            pages = self.manager.retry(client.get_paginator('list_users').paginate()
                                       .build_full_result)
        except ClientError as e:
            log.warning(
                "exposed-root-keys: account:%s could not list IAM users (%s), so a row naming "
                "'root' counts as the root user", self.manager.config.account_id,
                e.response['Error']['Code'])
            return set()
        return {u['UserName'].lower() for u in pages.get('Users', [])}

    def refuse_unresolved_recipients(self, entries):
        # Without this, notify would address mail to a literal "{security_email}".
        unresolved = recipients.unresolved(self.manager.data)
        if unresolved and not self.manager.config.dryrun:
            raise PolicyExecutionError(
                "policy:%s root key(s) %s are exposed but notify was not sent: recipient %s "
                "has no value; pass it with --vars-file (custodian run) or under vars: in the "
                "accounts file (c7n-org); see policies/vars.example.yml" % (
                    self.manager.data.get('name'),
                    ', '.join(str(e['AccessKeyId']) for e in entries), ', '.join(unresolved)))


_subscribed = []


def register():
    """Add the filter to c7n's account resource, now or when c7n loads it.

    c7n.resources.account imports c7n.resources.iam before it defines
    Account, so the import hook can fire while account is half loaded. c7n
    tells subscribers of its resource registry about every resource class it
    loads (its own health-event filter registers this way), which works in
    any import order.
    """
    from c7n.manager import resources
    if not _subscribed:
        resources.subscribe(_on_resource)
        _subscribed.append(True)
    account = resources.get(RESOURCE)
    if account is not None:
        _on_resource(resources, account)


def _on_resource(registry, resource_class):
    if getattr(resource_class, 'type', None) == RESOURCE:
        resource_class.filter_registry.register(NAME, ExposedRootKeys)
