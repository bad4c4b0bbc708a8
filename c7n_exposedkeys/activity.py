"""The iam-user filter `exposed-key-activity`: what each exposed key did lately, from CloudTrail."""
import json
import logging
from collections import Counter
from datetime import datetime, timedelta, timezone

from c7n.exceptions import PolicyValidationError
from c7n.filters import Filter
from c7n.resources.iam import User
from c7n.utils import get_support_region, local_session, type_schema

from c7n_exposedkeys import cloudtrail, lambdaconfig
from c7n_exposedkeys.filters import ANNOTATION, ExposedKeys

log = logging.getLogger('custodian.exposedkeys')

ENTRY_KEY = 'Activity'
TOP = 5
MAX_HOURS = 90 * 24  # CloudTrail's event history keeps 90 days
BLOCKS = ('and', 'or', 'not')


def now():
    """The end of the window; tests replace it."""
    return datetime.now(timezone.utc)


def utc(moment):
    # AWS times are UTC; a naive one (as placebo replays them) is taken as UTC, not local.
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def iso(moment):
    return utc(moment).strftime('%Y-%m-%dT%H:%M:%SZ')


@User.filter_registry.register('exposed-key-activity')
class ExposedKeyActivity(Filter):
    """Add to each exposed key a short summary of its recent CloudTrail activity.

    Opt-in, and placed after ``exposed-keys``: for each entry of
    ``c7n:exposed-keys`` that names a key, it calls CloudTrail LookupEvents by
    ``AccessKeyId`` over the last ``hours`` (default 24) in each of
    ``regions`` (default: the policy's region and the partition's
    global-events region, us-east-1 in the aws partition, without
    duplicates), and adds ``Activity`` to the entry:

    - ``Since``, ``Until``: the window, ISO 8601 UTC;
    - ``Regions``: the regions read;
    - ``EventCount``: events found (a lower bound when ``Truncated``);
    - ``FirstEvent``, ``LastEvent``: the oldest and newest event time, or null;
    - ``TopEventNames``: up to 5 ``{EventName, Count}``, most frequent first;
    - ``TopSourceIps``: up to 5 ``{SourceIp, Count}``, most frequent first;
    - ``Truncated``: true when ``max-pages`` (default 2, 50 events a page)
      stopped a read with events left;
    - ``Notes``: one line per region that could not be read, or was cut short.

    Entries without a key id get no ``Activity``. It needs the permission
    ``cloudtrail:LookupEvents``.

    It never drops a user: every user it is given is returned, whatever
    CloudTrail says, so it must not sit under ``or`` or ``not``. Calls are
    bounded: at most keys x regions x ``max-pages``, spaced at least 0.5 s
    apart per region (LookupEvents allows about two a second). A region that
    can't be read (access denied, an opt-in region not enabled, throttled
    after retries) is logged, noted on each key and skipped for the rest of
    the policy; the other regions are still read.

    :example:

    .. code-block:: yaml

        policies:
          - name: exposed-keys-with-activity
            resource: iam-user
            filters:
              - exposed-keys
              - type: exposed-key-activity
                hours: 24
                regions: [us-east-1, eu-west-1]
                max-pages: 2
    """

    schema = type_schema(
        'exposed-key-activity',
        hours={'type': 'integer', 'minimum': 1, 'maximum': MAX_HOURS, 'default': 24},
        regions={'type': 'array', 'minItems': 1, 'uniqueItems': True,
                 'items': {'type': 'string', 'pattern': r'^[a-z]{2}(-[a-z]+)+-\d+$'}},
        **{'max-pages': {'type': 'integer', 'minimum': 1, 'maximum': 20, 'default': 2}})
    schema_alias = False
    permissions = cloudtrail.PERMISSIONS

    def validate(self):
        lambdaconfig.check(self)
        name = self.manager.data.get('name')
        seen_exposed, blocks = False, None
        for f, within in walk(self.manager.filters):
            if f is self:
                blocks = within
                break
            seen_exposed = seen_exposed or isinstance(f, ExposedKeys)
        if not seen_exposed:
            raise PolicyValidationError(
                "policy:%s exposed-key-activity needs an exposed-keys filter before it" % name)
        if blocks and {'or', 'not'} & set(blocks):
            raise PolicyValidationError(
                "policy:%s exposed-key-activity returns every user it is given; put it at the "
                "top level or under and, not under or/not" % name)
        return self

    def regions(self):
        if self.data.get('regions'):
            return list(self.data['regions'])
        found = [self.manager.config.region, get_support_region(self.manager)]
        return [r for i, r in enumerate(found) if r and r not in found[:i]]

    def process(self, resources, event=None):
        until = now()
        since = until - timedelta(hours=self.data.get('hours', 24))
        max_pages = self.data.get('max-pages', 2)
        regions = self.regions()
        session = local_session(self.manager.session_factory)
        clients = {r: session.client('cloudtrail', region_name=r) for r in regions}
        skipped = {}  # region -> note, for regions out of reach for this policy
        for user in resources:
            for entry in user.get(ANNOTATION) or ():
                if entry.get('AccessKeyId'):
                    entry[ENTRY_KEY] = self.key_activity(
                        clients, entry['AccessKeyId'], since, until, max_pages, skipped)
                    log.info(
                        "exposed-key-activity: user:%s key:%s events:%d regions:%s notes:%d",
                        user['UserName'], entry['AccessKeyId'], entry[ENTRY_KEY]['EventCount'],
                        ','.join(entry[ENTRY_KEY]['Regions']), len(entry[ENTRY_KEY]['Notes']))
        return resources

    def key_activity(self, clients, key_id, since, until, max_pages, skipped):
        reads, notes = [], []
        for region, client in clients.items():
            if region in skipped:
                notes.append(skipped[region])
                continue
            read = cloudtrail.lookup(
                self.manager, client, region, key_id, since, until, max_pages)
            reads.append(read)
            if read.unreadable:
                skipped[region] = note(cloudtrail.Read(region, read.error, unreadable=True))
                log.warning(
                    "exposed-key-activity: account:%s region:%s CloudTrail not readable, "
                    "skipping the region: %s: %s", self.manager.config.account_id, region,
                    *read.error)
            if read.error or read.more:
                notes.append(note(read))
        return summarize(reads, since, until, notes)


def walk(filters, blocks=()):
    """Each filter in the order c7n runs them, with the boolean blocks it sits in."""
    for f in filters:
        yield f, blocks
        if f.type in BLOCKS:
            yield from walk(f.filters, blocks + (f.type,))


def summarize(reads, since, until, notes):
    events = {}
    for read in reads:
        for e in read.events:
            events.setdefault(e.get('EventId') or id(e), e)
    names = Counter(e.get('EventName') for e in events.values() if e.get('EventName'))
    ips = Counter(filter(None, (source_ip(e) for e in events.values())))
    times = sorted(utc(e['EventTime']) for e in events.values()
                   if isinstance(e.get('EventTime'), datetime))
    return {
        'Since': iso(since),
        'Until': iso(until),
        'Regions': [r.region for r in reads if r.pages],
        'EventCount': len(events),
        'FirstEvent': iso(times[0]) if times else None,
        'LastEvent': iso(times[-1]) if times else None,
        'TopEventNames': [{'EventName': n, 'Count': c} for n, c in top(names)],
        'TopSourceIps': [{'SourceIp': ip, 'Count': c} for ip, c in top(ips)],
        'Truncated': any(r.more for r in reads),
        'Notes': notes,
    }


def note(read):
    """One line on a region read that was cut short or failed."""
    after = " after %d page(s)" % read.pages if read.pages else ""
    if read.more:
        return "%s: read the newest %d page(s) only (max-pages); it has more events" % (
            read.region, read.pages)
    code, message = read.error
    if read.unreadable:
        return "%s: not readable%s: %s (%s); region skipped" % (
            read.region, after, code, cloudtrail.UNREADABLE.get(code, 'no endpoint reached'))
    return "%s: not read for this key%s: %s: %s" % (read.region, after, code, message)


def top(counter):
    # Most frequent first; ties by name, so the summary doesn't depend on event order.
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:TOP]


def source_ip(event):
    """sourceIPAddress from the event's CloudTrailEvent JSON, or None."""
    try:
        record = json.loads(event.get('CloudTrailEvent') or '{}')
    except ValueError:
        return None
    ip = record.get('sourceIPAddress') if isinstance(record, dict) else None
    return ip if isinstance(ip, str) and ip else None
