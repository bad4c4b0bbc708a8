"""The execution mode `exposed-keys-event`: act on AWS's exposure events as they arrive."""
import copy
import logging
from functools import cached_property

from botocore.exceptions import ClientError
from c7n.exceptions import PolicyExecutionError, PolicyValidationError
from c7n.policy import LambdaMode, execution
from c7n.utils import get_support_region, local_session, type_schema

from c7n_exposedkeys import events, findings, lambdaconfig
from c7n_exposedkeys.filters import ExposedKeys

log = logging.getLogger('custodian.exposedkeys')


def _schema():
    schema = type_schema(
        lambdaconfig.EVENT_MODE,
        **{
            'health-event-codes': {
                'type': 'array', 'minItems': 1, 'uniqueItems': True,
                'items': {'type': 'string', 'pattern': '^AWS_[A-Z0-9_]+$'},
                'default': list(events.HEALTH_CODES)},
            'trusted-advisor': {'type': 'boolean', 'default': True},
        },
        rinherit=LambdaMode.schema)
    # The rule's pattern is exactly the events this mode parses; no merging in.
    del schema['properties']['pattern']
    return schema


@execution.register(lambdaconfig.EVENT_MODE)
class ExposureEventMode(LambdaMode):
    """Deactivate a key within a minute of AWS's exposure event for it.

    ``custodian run`` provisions a Lambda function and one EventBridge rule
    matching AWS Health events (service ``RISK``, the codes in
    ``health-event-codes``) and, unless ``trusted-advisor: false``, Trusted
    Advisor's "Exposed Access Keys" events with status ``ERROR`` or ``WARN``.
    Both live in us-east-1 (the partition's support region), where AWS
    delivers these events, whatever region the run names.

    The event itself is the flag: Trusted Advisor is not read. For each key
    the event names, ``iam:GetAccessKeyLastUsed`` gives its owner and
    ``iam:GetUser`` that one user; the ``exposed-keys`` filter then
    annotates the user with the event's keys only. A root key, a key that no
    longer exists, a key the event pins on another user, and unrelated
    events are logged and ignored.

    ``handler`` defaults to ``c7n_exposedkeys.handler.run`` and
    ``c7n_exposedkeys`` is always packed into the archive.

    :example:

    .. code-block:: yaml

        policies:
          - name: exposed-keys-on-event
            resource: iam-user
            mode:
              type: exposed-keys-event
              role: arn:aws:iam::123456789012:role/custodian-exposed-keys
              health-event-codes:
                - AWS_RISK_CREDENTIALS_EXPOSED
                - AWS_RISK_CREDENTIALS_COMPROMISED
              trusted-advisor: true
            filters:
              - exposed-keys
            actions:
              - deactivate-exposed-keys
    """

    type = lambdaconfig.EVENT_MODE
    schema = _schema()
    permissions = ('iam:GetAccessKeyLastUsed', 'iam:GetUser')

    def validate(self):
        super().validate()
        name = self.policy.name
        if self.policy.resource_type not in ('iam-user', 'aws.iam-user'):
            raise PolicyValidationError(
                "policy:%s mode %s works on iam-user, not %s"
                % (name, self.type, self.policy.resource_type))
        if not any(isinstance(f, ExposedKeys)
                   for f in self.policy.resource_manager.iter_filters()):
            raise PolicyValidationError(
                "policy:%s mode %s needs the exposed-keys filter, which limits the policy "
                "to the keys the event names" % (name, self.type))

    @property
    def codes(self):
        return tuple(self.policy.data['mode'].get('health-event-codes', events.HEALTH_CODES))

    @property
    def trusted_advisor(self):
        return self.policy.data['mode'].get('trusted-advisor', True)

    # Runtime, in the Lambda function.

    def run(self, event, lambda_context):
        self.failures = []
        resources = super().run(event, lambda_context)
        if self.failures:
            # Every other key was still handled; failing the invocation lets Lambda retry.
            raise PolicyExecutionError(
                "policy:%s could not resolve %s; see the errors above"
                % (self.policy.name, ', '.join(self.failures)))
        return resources

    def resolve_resources(self, event):
        self.assume_member(event)
        found, reason = events.parse(event, self.codes, self.trusted_advisor)
        event_id = event.get('id') if isinstance(event, dict) else None
        if reason:
            log.info("exposed-keys: policy:%s ignoring event:%s: it %s",
                     self.policy.name, event_id, reason)
            return []
        target = event['detail'].get('affectedAccount') or event.get('account')
        account = self.policy.options.account_id
        if target is not None and account and str(target) != str(account):
            log.warning("exposed-keys: policy:%s ignoring event:%s for account:%s; this "
                        "function acts in account:%s", self.policy.name, event_id,
                        target, account)
            return []
        users, resolved = {}, []
        for finding in found:
            name = self.owner(finding)
            if name is None:
                continue
            if name.lower() not in users:
                users[name.lower()] = self.get_user(name, finding)
            user = users[name.lower()]
            if user is not None:
                resolved.append(dict(finding, UserName=user['UserName']))
        # The exposed-keys filter takes its findings from here instead of Trusted Advisor.
        event[events.FINDINGS] = resolved
        return [u for u in users.values() if u is not None]

    @cached_property
    def iam(self):
        return local_session(self.policy.session_factory).client('iam')

    def owner(self, finding):
        """The IAM user that owns the finding's key, or None when it is to be left alone."""
        key, named = finding['AccessKeyId'], finding['UserName']
        if finding['Status'] not in findings.EXPOSED_STATUSES:
            log.info("exposed-keys: key:%s status:%s; nothing to do", key, finding['Status'])
            return None
        if finding['IsRoot']:
            return self.ignore_root(key)
        if key is None:
            # Trusted Advisor named the user but no key: matched as no-key-id, as in the sweep.
            return named
        try:
            answer = self.policy.resource_manager.retry(
                self.iam.get_access_key_last_used, AccessKeyId=key)
        except ClientError as e:
            code = e.response['Error']['Code']
            if code == 'NoSuchEntity':
                log.warning("exposed-keys: key:%s no longer exists; nothing to do", key)
            else:
                self.fail(key, 'GetAccessKeyLastUsed', e)
            return None
        owner = findings.clean(answer.get('UserName'))
        if owner is None or findings.is_root(owner):
            # How IAM names root here is unconfirmed: no name, '<root_account>' or an ARN.
            return self.ignore_root(key)
        owner = findings.user_name(owner)
        if named is not None and named.lower() != owner.lower():
            log.warning(
                "exposed-keys: key:%s the event names user:%s but IAM says user:%s owns it; "
                "not touched", key, named, owner)
            return None
        return owner

    def get_user(self, name, finding):
        try:
            answer = self.policy.resource_manager.retry(
                self.iam.get_user, UserName=name, ignore_err_codes=('NoSuchEntity',))
        except ClientError as e:
            self.fail(finding['AccessKeyId'], 'GetUser', e)
            return None
        if answer is None and name.lower() == findings.ROOT_NAME:
            # A bare 'root' with no IAM user of that name is the account's root user.
            return self.ignore_root(finding['AccessKeyId'])
        if answer is None:
            log.warning("exposed-keys: user:%s (key:%s) no longer exists; nothing to do",
                        name, finding['AccessKeyId'])
            return None
        return answer['User']

    def ignore_root(self, key):
        log.warning(
            "exposed-keys: account:%s root key:%s named by an exposure event; root keys need a "
            "person signed in as root (or Organizations' centralized root access) to "
            "deactivate", self.policy.options.account_id, key)
        return None

    def fail(self, key, operation, error):
        self.failures.append('key:%s' % key)
        log.error("exposed-keys: key:%s %s failed: %s: %s", key, operation,
                  error.response['Error']['Code'], error.response['Error'].get('Message'))

    # Provisioning, from `custodian run`.

    @property
    def policy_lambda(self):
        from c7n_exposedkeys.eventrule import ExposureEventLambda
        return ExposureEventLambda

    def provision(self):
        # IAM's Health events and Trusted Advisor's events are delivered in us-east-1
        # (the partition's support region) only; a function elsewhere would never fire.
        region = get_support_region(self.policy.resource_manager)
        if self.policy.options.region != region:
            log.warning(
                "exposed-keys: policy:%s provisions its function and rule in %s, where AWS "
                "delivers exposure events, not in the run's region %s",
                self.policy.name, region, self.policy.options.region)
        factory = copy.copy(self.policy.session_factory)
        factory.region = region
        self.policy.session_factory = factory
        return super().provision()
