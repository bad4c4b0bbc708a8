"""The iam-user action `notify-exposed-keys`: c7n's notify, once per key and outcome."""
import copy
import logging

from botocore.exceptions import ClientError
from c7n.actions.notify import Notify
from c7n.exceptions import PolicyExecutionError, PolicyValidationError
from c7n.resources.iam import User
from c7n.utils import local_session

from c7n_exposedkeys import lambdaconfig, record, recipients
from c7n_exposedkeys.filters import ANNOTATION, ExposedKeys

log = logging.getLogger('custodian.exposedkeys')

TYPE = 'notify-exposed-keys'
# IAM tag keys: up to 128 of IAM's tag characters; the aws: prefix is AWS's own.
TAG_KEY = r'^(?![aA][wW][sS]:)[A-Za-z0-9 _.:/=+@-]{1,128}$'
# What c7n-mailer reads from the action besides c7n's own notify options.
MAILER_OPTIONS = (
    'violation_desc', 'action_desc', 'template_format', 'priority_header', 'slack_template',
    'slack_msg_color', 'email_ldap_username_manager', 'resource_ldap_lookup_username')


def mailer_subject(subject):
    """The subject as the policy wrote it, for c7n-mailer's Jinja.

    c7n formats every string of a policy with its variables, which turns a
    Jinja ``{{ account_id }}`` into ``{ account_id }``, and puts the subject
    back for actions of type ``notify`` only (Policy.expand_variables). A
    string c7n formatted holds no brace of its own, so each one left was a
    doubled one: double them again. A string it could not format (an unknown
    variable) was left as written, with its ``{{ }}``.
    """
    if not subject or '{{' in subject or '}}' in subject:
        return subject
    return subject.replace('{', '{{').replace('}', '}}')


def _schema():
    # c7n's notify schema, closed, with the mailer's options and the record tag.
    schema = copy.deepcopy(Notify.schema)
    schema['properties']['type'] = {'enum': [TYPE]}
    for name in MAILER_OPTIONS:
        schema['properties'][name] = (
            {'type': 'boolean'} if name == 'email_ldap_username_manager' else {'type': 'string'})
    schema['properties']['record-tag'] = {
        'type': 'string', 'pattern': TAG_KEY, 'default': record.DEFAULT_TAG}
    schema['additionalProperties'] = False
    return schema


@User.action_registry.register(TYPE)
class NotifyExposedKeys(Notify):
    """c7n's ``notify``, sent only for users with news, and recorded on the user.

    Takes every ``notify`` option (``to``, ``cc``, ``subject``, ``template``,
    ``violation_desc``, ``action_desc``, ``transport`` ``sqs`` or ``sns``,
    ...) and ``record-tag`` (default ``c7n-exposed-keys-notified``). Put it
    after ``deactivate-exposed-keys``, whose ``Outcome`` it reads.

    Each key is notified once per outcome: deactivated or already inactive
    (``inactive``), ``gone``, ``no-key-id`` (recorded by support case) or
    ``failed``. An entry is news when its outcome is ``deactivated`` (we just
    changed the key, so someone had turned it on again) or its class differs
    from the one the user's tag records. The tag is read with ListUserTags at
    run time, never from c7n's resource cache; users without news are left out
    of the message, and nothing is sent when no user has news. After the
    message is sent, TagUser writes each notified user's record (space
    separated ``KEY=class``; ``case:ID=no-key-id`` for rows without a key id),
    so a failed send records nothing. Each entry in the message carries
    ``New``: true for what changed. Delete the tag to be notified again.

    :example:

    .. code-block:: yaml

        policies:
          - name: exposed-keys
            resource: iam-user
            filters:
              - exposed-keys
            actions:
              - deactivate-exposed-keys
              - type: notify-exposed-keys
                record-tag: c7n-exposed-keys-notified
                subject: "Exposed AWS access keys in account {{ account_id }}"
                violation_desc: AWS Trusted Advisor flagged these access keys as exposed.
                action_desc: Custodian set each flagged key Inactive.
                to:
                  - resource-owner
                  - security@example.com
                transport:
                  type: sqs
                  queue: custodian-mailer
    """

    schema = _schema()
    schema_alias = False
    # ListAccountAliases: c7n's notify reads the alias for the message.
    permissions = ('iam:ListUserTags', 'iam:TagUser', 'iam:ListAccountAliases')

    def get_permissions(self):
        return self.permissions + tuple(super().get_permissions())

    def validate(self):
        lambdaconfig.check(self)
        if not any(isinstance(f, ExposedKeys) for f in self.manager.iter_filters()):
            raise PolicyValidationError(
                "policy:%s %s needs the exposed-keys filter"
                % (self.manager.data.get('name'), TYPE))
        return super().validate()

    @property
    def tag(self):
        return self.data.get('record-tag', record.DEFAULT_TAG)

    def process(self, users, event=None):
        unresolved = recipients.unresolved({'actions': [self.data]})
        if unresolved:
            raise PolicyExecutionError(
                "policy:%s %s not sent: recipient %s has no value; pass it with --vars-file "
                "(custodian run) or under vars: in the accounts file (c7n-org)"
                % (self.manager.data.get('name'), TYPE, ', '.join(unresolved)))
        if self.data.get('subject'):
            self.data = dict(self.data, subject=mailer_subject(self.data['subject']))
        client = local_session(self.manager.session_factory).client('iam')
        news = []
        for user in users:
            recorded, exists = self.read_record(client, user['UserName'])
            entries = user.get(ANNOTATION, [])
            for entry in entries:
                entry['New'] = record.is_news(entry, recorded)
            if any(e['New'] for e in entries):
                news.append((user, recorded, exists))
        log.info("exposed-keys: policy:%s users:%d with news:%d record-tag:%s",
                 self.manager.data.get('name'), len(users), len(news), self.tag)
        if not news:
            return
        super().process([user for user, _, _ in news], event)
        # Only now that the message is out: a failed send leaves no record behind.
        failed = sum(not self.write_record(client, *n) for n in news)
        if failed:
            log.error("exposed-keys: policy:%s %d user(s) notified but not recorded; "
                      "they will be notified again", self.manager.data.get('name'), failed)

    def read_record(self, client, name):
        """({id: class}, user exists); an unreadable tag counts as no record."""
        try:
            response = self.manager.retry(
                client.list_user_tags, UserName=name, ignore_err_codes=('NoSuchEntity',))
        except ClientError as e:
            log.error("exposed-keys: user:%s record tag:%s unreadable (%s): notifying every "
                      "key of this user", name, self.tag, e.response['Error']['Code'])
            return {}, True
        if response is None:
            return {}, False
        value = next((t['Value'] for t in response.get('Tags', ()) if t['Key'] == self.tag), None)
        return record.parse(value), True

    def write_record(self, client, user, recorded, exists):
        """Tag the user with what was notified; False when the record was not written."""
        name = user['UserName']
        if not exists:
            log.warning("exposed-keys: user:%s no longer exists: notified, nothing recorded", name)
            return True
        value, _ = record.render(user.get(ANNOTATION, []), recorded, user=name)
        try:
            self.manager.retry(
                client.tag_user, UserName=name, Tags=[{'Key': self.tag, 'Value': value}])
        except ClientError as e:
            code = e.response['Error']['Code']
            if code == 'NoSuchEntity':
                log.warning("exposed-keys: user:%s no longer exists: notified, nothing recorded",
                            name)
                return True
            log.error("exposed-keys: user:%s record tag:%s not written (%s: %s)",
                      name, self.tag, code, e.response['Error'].get('Message'))
            return False
        log.info("exposed-keys: user:%s recorded tag:%s value:%s", name, self.tag, value)
        return True
