"""exposed-key-activity: each exposed key's recent CloudTrail activity, bounded and paced."""
import json
import logging
from collections import defaultdict
from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from c7n.config import Config
from c7n.exceptions import PolicyValidationError
from c7n.loader import PolicyLoader
from c7n.resources import load_resources

import c7n_exposedkeys
import scenario
from c7n_exposedkeys import activity, cloudtrail
from localaws.seed import event
from policyrun import ACCOUNT, run

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)
ALICE, BOB, CAROL = 'AKIAIOSFODNN7EXAMPLE', 'AKIAIOSFODNN2EXAMPLE', 'AKIAI44QH8DH1EXAMPLE'
# alice and bob have keys flagged; frank's row names no key.
USERS = [scenario.USERS[0], scenario.USERS[1], scenario.USERS[5]]
ROWS = [scenario.ROWS[0], scenario.ROWS[1], scenario.ROWS[5]]
DENIED = {'LookupEvents': {
    'code': 'AccessDeniedException', 'message': 'User: arn:aws:sts::123456789012:assumed-role/'
    'custodian/run is not authorized to perform: cloudtrail:LookupEvents'}}
NOT_ENABLED = {'LookupEvents': {
    'code': 'UnrecognizedClientException',
    'message': 'The security token included in the request is invalid.'}}
THROTTLED = {'LookupEvents': {'code': 'ThrottlingException', 'message': 'Rate exceeded'}}


def ago(**delta):
    return (NOW - timedelta(**delta)).strftime('%Y-%m-%dT%H:%M:%SZ')


def seed(trail):
    doc = scenario.seed(users=USERS, rows=ROWS)
    doc['accounts'][ACCOUNT]['cloudtrail'] = trail
    return doc


def policy(**options):
    return {'name': 'activity', 'resource': 'iam-user', 'filters': [
        'exposed-keys', dict({'type': 'exposed-key-activity'}, **options)]}


def by_name(resources):
    return {r['UserName']: r for r in resources}


def activity_of(resources, user):
    [entry] = by_name(resources)[user]['c7n:exposed-keys']
    return entry['Activity']


def lookups(flight):
    return [p for svc, op, p in flight.calls if op == 'LookupEvents']


def many(count, key, user='alice'):
    """`count` events a minute apart, newest a minute before NOW, cycling through 7 calls."""
    calls = [('GetBucketAcl', 's3'), ('PutBucketPolicy', 's3'), ('ListBuckets', 's3'),
             ('GetCallerIdentity', 'sts'), ('DescribeInstances', 'ec2'),
             ('RunInstances', 'ec2'), ('CreateUser', 'iam')]
    return [event(calls[i % 7][0], calls[i % 7][1] + '.amazonaws.com', ago(minutes=i + 1), key,
                  user, '203.0.113.%d' % (i % 3 + 1)) for i in range(count)]


class FakeClock:
    """A monotonic clock that only moves when the pacer sleeps."""

    def __init__(self):
        self.now = 1000.0
        self.slept = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture(autouse=True)
def fake_time(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(activity, 'now', lambda: NOW)
    monkeypatch.setattr(cloudtrail, 'PACER', cloudtrail.Pacer(clock=fake.clock, sleep=fake.sleep))
    return fake


SUMMARY_TRAIL = {
    'us-east-1': {'events': [
        event('GetCallerIdentity', 'sts.amazonaws.com', ago(hours=1), ALICE, 'alice',
              '203.0.113.7'),
        event('GetCallerIdentity', 'sts.amazonaws.com', ago(hours=2), ALICE, 'alice',
              '203.0.113.7'),
        event('GetCallerIdentity', 'sts.amazonaws.com', ago(hours=3), ALICE, 'alice',
              '203.0.113.7'),
        event('ListUsers', 'iam.amazonaws.com', ago(hours=5), ALICE, 'alice', '198.51.100.23'),
        # outside the 24-hour window
        event('CreateUser', 'iam.amazonaws.com', ago(hours=30), ALICE, 'alice', '198.51.100.23',
              read_only=False),
        # another key's event
        event('ListRoles', 'iam.amazonaws.com', ago(hours=1), CAROL, 'carol', '192.0.2.10'),
    ]},
    'us-west-2': {'events': [
        event('RunInstances', 'ec2.amazonaws.com', ago(hours=4), ALICE, 'alice', '203.0.113.7',
              read_only=False),
        event('RunInstances', 'ec2.amazonaws.com', ago(hours=20), ALICE, 'alice', '203.0.113.7',
              read_only=False),
        event('DescribeInstances', 'ec2.amazonaws.com', ago(hours=6), ALICE, 'alice',
              '192.0.2.44'),
    ]},
}


def test_each_exposed_key_gets_a_summary_of_its_activity(placebo_flight, tmp_path):
    flight = placebo_flight('activity_summary', seed=seed(SUMMARY_TRAIL))
    [found] = run(policy(regions=['us-east-1', 'us-west-2']), flight.session_factory, tmp_path)
    # Annotation only: every user exposed-keys matched is still there.
    assert sorted(by_name(found)) == ['alice', 'bob', 'frank']
    assert activity_of(found, 'alice') == {
        'Since': '2026-12-02T12:00:00Z',
        'Until': '2026-12-03T12:00:00Z',
        'Regions': ['us-east-1', 'us-west-2'],
        'EventCount': 7,
        'FirstEvent': '2026-12-02T16:00:00Z',
        'LastEvent': '2026-12-03T11:00:00Z',
        'TopEventNames': [
            {'EventName': 'GetCallerIdentity', 'Count': 3},
            {'EventName': 'RunInstances', 'Count': 2},
            {'EventName': 'DescribeInstances', 'Count': 1},
            {'EventName': 'ListUsers', 'Count': 1}],
        'TopSourceIps': [
            {'SourceIp': '203.0.113.7', 'Count': 5},
            {'SourceIp': '192.0.2.44', 'Count': 1},
            {'SourceIp': '198.51.100.23', 'Count': 1}],
        'Truncated': False,
        'Notes': [],
    }
    bob = activity_of(found, 'bob')
    assert (bob['EventCount'], bob['FirstEvent'], bob['TopEventNames'], bob['Regions']) == (
        0, None, [], ['us-east-1', 'us-west-2'])
    # frank's row names no key: nothing to look up, nothing added.
    assert 'Activity' not in by_name(found)['frank']['c7n:exposed-keys'][0]
    # One call per key and region, by key id, over the last 24 hours.
    assert lookups(flight) == [{
        'LookupAttributes': [{'AttributeKey': 'AccessKeyId', 'AttributeValue': key}],
        'StartTime': NOW - timedelta(hours=24), 'EndTime': NOW, 'MaxResults': 50,
    } for key in (ALICE, ALICE, BOB, BOB)]
    # resources.json carries the summary.
    written = by_name(json.loads((tmp_path / 'activity' / 'resources.json').read_text()))
    assert written['alice']['c7n:exposed-keys'][0]['Activity']['EventCount'] == 7


def test_default_regions_are_the_policys_and_the_global_events_region():
    def regions(region, **options):
        register()
        config = Config.empty(account_id=ACCOUNT, region=region)
        [p] = PolicyLoader(config).load_data({'policies': [policy(**options)]}, 'memory://t')
        return p.resource_manager.filters[1].regions()

    assert regions('eu-west-1') == ['eu-west-1', 'us-east-1']
    assert regions('us-east-1') == ['us-east-1']
    assert regions('us-gov-east-1') == ['us-gov-east-1', 'us-gov-west-1']
    assert regions('eu-west-1', regions=['ap-south-1']) == ['ap-south-1']


def test_pages_per_key_and_region_are_capped(placebo_flight, tmp_path):
    trail = {'us-east-1': {'events': many(120, ALICE) + many(60, BOB, 'bob')}}
    flight = placebo_flight('activity_page_cap', seed=seed(trail))
    [found] = run(policy(**{'max-pages': 2}), flight.session_factory, tmp_path)
    alice = activity_of(found, 'alice')
    assert (alice['EventCount'], alice['Truncated']) == (100, True)
    # The newest 100: a minute to 100 minutes before NOW.
    assert (alice['FirstEvent'], alice['LastEvent']) == (ago(minutes=100), ago(minutes=1))
    assert alice['Notes'] == [
        'us-east-1: read the newest 2 page(s) only (max-pages); it has more events']
    assert len(alice['TopEventNames']) == 5
    assert alice['TopSourceIps'] == [
        {'SourceIp': '203.0.113.1', 'Count': 34}, {'SourceIp': '203.0.113.2', 'Count': 33},
        {'SourceIp': '203.0.113.3', 'Count': 33}]
    # Two pages hold all of bob's 60: not truncated.
    bob = activity_of(found, 'bob')
    assert (bob['EventCount'], bob['Truncated'], bob['Notes']) == (60, False, [])
    calls = lookups(flight)
    assert [c['LookupAttributes'][0]['AttributeValue'] for c in calls] == [ALICE] * 2 + [BOB] * 2
    assert 'NextToken' not in calls[0] and calls[1]['NextToken']


def test_the_window_is_the_last_hours(placebo_flight, tmp_path):
    trail = {'us-east-1': {'events': [
        event('GetBucketAcl', 's3.amazonaws.com', ago(minutes=30), ALICE, 'alice',
              '203.0.113.7'),
        event('PutBucketPolicy', 's3.amazonaws.com', ago(minutes=110), ALICE, 'alice',
              '203.0.113.7'),
        event('ListBuckets', 's3.amazonaws.com', ago(hours=3), ALICE, 'alice', '203.0.113.7'),
    ]}}
    flight = placebo_flight('activity_window', seed=seed(trail))
    [found] = run(policy(hours=2), flight.session_factory, tmp_path)
    alice = activity_of(found, 'alice')
    assert (alice['Since'], alice['Until']) == ('2026-12-03T10:00:00Z', '2026-12-03T12:00:00Z')
    assert [e['EventName'] for e in alice['TopEventNames']] == ['GetBucketAcl', 'PutBucketPolicy']
    assert {(c['StartTime'], c['EndTime']) for c in lookups(flight)} == {
        (NOW - timedelta(hours=2), NOW)}


def test_unreadable_regions_are_noted_and_skipped(placebo_flight, tmp_path, caplog):
    trail = dict(SUMMARY_TRAIL, **{
        'eu-south-1': {'errors': NOT_ENABLED}, 'us-west-2': {'errors': DENIED}})
    flight = placebo_flight('activity_region_denied', seed=seed(trail))
    with caplog.at_level(logging.INFO, 'custodian.exposedkeys'):
        [found] = run(policy(regions=['eu-south-1', 'us-east-1', 'us-west-2']),
                      flight.session_factory, tmp_path)
    notes = [
        'eu-south-1: not readable: UnrecognizedClientException (credentials not valid there '
        '(an opt-in region not enabled?)); region skipped',
        'us-west-2: not readable: AccessDeniedException (access denied; grant '
        'cloudtrail:LookupEvents); region skipped']
    alice, bob = activity_of(found, 'alice'), activity_of(found, 'bob')
    # The readable region is still summarised, for every key.
    assert (alice['Regions'], alice['EventCount'], alice['Notes']) == (['us-east-1'], 4, notes)
    assert (bob['Regions'], bob['EventCount'], bob['Notes']) == (['us-east-1'], 0, notes)
    # Each unreadable region is asked once, then skipped for the other keys.
    assert len(lookups(flight)) == 3 + 1
    assert caplog.text.count('region:eu-south-1 CloudTrail not readable') == 1
    assert ('account:123456789012 region:us-west-2 CloudTrail not readable, skipping the '
            'region: AccessDeniedException: User: arn:aws') in caplog.text
    assert 'user:bob key:AKIAIOSFODNN2EXAMPLE events:0 regions:us-east-1 notes:2' in caplog.text


def test_a_region_throttled_after_retries_is_skipped(placebo_flight, tmp_path, monkeypatch,
                                                     caplog):
    monkeypatch.setattr('c7n.utils.time.sleep', lambda s: None)  # c7n's retry backoff
    monkeypatch.setenv('AWS_MAX_ATTEMPTS', '1')  # recording: c7n's retry alone, as in playback
    trail = dict(SUMMARY_TRAIL, **{'us-west-2': {'errors': THROTTLED}})
    flight = placebo_flight('activity_throttled', seed=seed(trail))
    with caplog.at_level(logging.WARNING, 'custodian.exposedkeys'):
        [found] = run(policy(regions=['us-east-1', 'us-west-2']), flight.session_factory,
                      tmp_path)
    note = ('us-west-2: not readable: ThrottlingException (throttled even after retries); '
            'region skipped')
    alice, bob = activity_of(found, 'alice'), activity_of(found, 'bob')
    assert (alice['Regions'], alice['EventCount'], alice['Notes']) == (['us-east-1'], 4, [note])
    assert (bob['Regions'], bob['Notes']) == (['us-east-1'], [note])
    # c7n's retry made 8 attempts on us-west-2 for alice's key; bob's key didn't try it.
    assert len(lookups(flight)) == 1 + 8 + 1
    assert 'region:us-west-2 CloudTrail not readable' in caplog.text


def test_calls_to_one_region_are_half_a_second_apart(placebo_flight, tmp_path, fake_time,
                                                     monkeypatch):
    trail = {'us-east-1': {'events': many(120, ALICE)},
             'us-west-2': {'events': many(3, ALICE) + many(2, BOB, 'bob')}}
    flight = placebo_flight('activity_pacing', seed=seed(trail))
    seen = defaultdict(list)  # region -> fake clock at each LookupEvents call

    def note_call(model, request_signer, **kwargs):
        if model.name == 'LookupEvents':
            seen[request_signer.region_name].append(fake_time.now)

    new_session = flight.new_session

    def watched_session(region):
        session = new_session(region)
        # On the flight's own event name and first, so it runs before the flight answers.
        session.events.register_first('before-call.*.*', note_call)
        return session

    monkeypatch.setattr(flight, 'new_session', watched_session)
    [found] = run(policy(regions=['us-east-1', 'us-west-2'], **{'max-pages': 3}),
                  flight.session_factory, tmp_path)
    assert activity_of(found, 'alice')['EventCount'] == 120 + 3
    # alice: 3 pages in us-east-1, then us-west-2; bob: one page in each.
    start = 1000.0
    assert seen == {'us-east-1': [start, start + 0.5, start + 1.0, start + 1.5],
                    'us-west-2': [start + 1.0, start + 1.5]}
    for times in seen.values():
        assert all(b - a >= 0.5 for a, b in zip(times, times[1:]))
    # Waiting on one region never held up the other.
    assert fake_time.now == start + 1.5


def test_pacer_reserves_slots_per_key():
    fake = FakeClock()
    pacer = cloudtrail.Pacer(interval=0.5, clock=fake.clock, sleep=fake.sleep)
    pacer.wait('us-east-1')
    pacer.wait('us-west-2')
    assert fake.slept == []
    pacer.wait('us-east-1')
    assert fake.slept == [0.5]
    fake.now += 2
    pacer.wait('us-east-1')
    assert fake.slept == [0.5]


def test_summary_ignores_events_without_a_readable_source_ip():
    read = cloudtrail.Read('us-east-1')
    read.pages = 1
    when = datetime(2026, 12, 3, 11, 0, tzinfo=timezone.utc)
    read.events = [
        {'EventId': '1', 'EventName': 'GetBucketAcl', 'EventTime': when,
         'CloudTrailEvent': 'not json'},
        {'EventId': '2', 'EventName': 'GetBucketAcl', 'EventTime': when,
         'CloudTrailEvent': json.dumps({'sourceIPAddress': ''})},
        {'EventId': '3', 'EventName': 'PutBucketPolicy', 'EventTime': when,
         'CloudTrailEvent': json.dumps(['a list'])},
        {'EventId': '3', 'EventName': 'PutBucketPolicy', 'EventTime': when},  # same event again
    ]
    summary = activity.summarize([read], NOW - timedelta(hours=1), NOW, [])
    assert summary['EventCount'] == 3
    assert summary['TopEventNames'] == [{'EventName': 'GetBucketAcl', 'Count': 2},
                                        {'EventName': 'PutBucketPolicy', 'Count': 1}]
    assert summary['TopSourceIps'] == []


class FakeTrail:
    """A cloudtrail client that gives the answers it was handed, in order, and no more."""

    def __init__(self, *answers):
        self.answers = list(answers)

    def lookup_events(self, **params):
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_other_errors_are_noted_on_that_key_alone(caplog):
    f = load(['exposed-keys', ACTIVITY]).resource_manager.filters[1]
    refused = ClientError({'Error': {'Code': 'InvalidTimeRangeException',
                                     'Message': 'Start time must be before end time.'}},
                          'LookupEvents')
    unreachable = EndpointConnectionError(
        endpoint_url='https://cloudtrail.ap-east-9.amazonaws.com/')
    clients = {'us-east-1': FakeTrail(refused, {'Events': []}),
               'ap-east-9': FakeTrail(unreachable)}  # a second call would find no answer
    skipped, since = {}, NOW - timedelta(hours=24)
    with caplog.at_level(logging.WARNING, 'custodian.exposedkeys'):
        first = f.key_activity(clients, ALICE, since, NOW, 2, skipped)
        second = f.key_activity(clients, BOB, since, NOW, 2, skipped)
    skip = ('ap-east-9: not readable: EndpointConnectionError (no endpoint reached); '
            'region skipped')
    assert (first['Regions'], first['Notes']) == ([], [
        'us-east-1: not read for this key: InvalidTimeRangeException: Start time must be '
        'before end time.', skip])
    # The next key still reads us-east-1; the unreachable region is not asked again.
    assert (second['Regions'], second['Notes']) == (['us-east-1'], [skip])
    assert clients['us-east-1'].answers == [] and clients['ap-east-9'].answers == []
    assert caplog.text.count('region:ap-east-9 CloudTrail not readable') == 1


def register():
    load_resources(('aws.iam-user',))
    c7n_exposedkeys.initialize()


def load(filters, validate=True, **data):
    register()
    loader = PolicyLoader(Config.empty(account_id=ACCOUNT, region='us-east-1'))
    [p] = loader.load_data({'policies': [dict(
        {'name': 'p', 'resource': 'iam-user', 'filters': filters}, **data)]}, 'memory://t',
        validate=validate)
    return p


ACTIVITY = {'type': 'exposed-key-activity'}


@pytest.mark.parametrize('filters, error', [
    ([ACTIVITY], 'policy:p exposed-key-activity needs an exposed-keys filter before it'),
    ([ACTIVITY, 'exposed-keys'], 'needs an exposed-keys filter before it'),
    (['exposed-keys', {'or': [ACTIVITY, {'type': 'value', 'key': 'UserName', 'value': 'x'}]}],
     'returns every user it is given; put it at the top level or under and'),
    (['exposed-keys', {'not': [ACTIVITY]}], 'not under or/not'),
])
def test_validation_refuses_a_misplaced_filter(filters, error):
    with pytest.raises(PolicyValidationError, match=error):
        load(filters).validate()


@pytest.mark.parametrize('filters', [
    ['exposed-keys', ACTIVITY],
    [{'and': ['exposed-keys', ACTIVITY]}],
    [{'or': ['exposed-keys']}, {'and': [ACTIVITY]}],
])
def test_validation_accepts_it_after_exposed_keys(filters):
    p = load(filters)
    p.validate()
    assert 'exposed-key-activity' in [f.type for f in p.resource_manager.iter_filters()]


@pytest.mark.parametrize('option', [
    {'hour': 24}, {'hours': 0}, {'hours': 24 * 91}, {'max-pages': 0}, {'regions': []},
    {'regions': ['us-east-1', 'us-east-1']}, {'regions': ['US East']},
])
def test_schema_refuses_bad_options(option):
    with pytest.raises(PolicyValidationError):
        load(['exposed-keys', dict(ACTIVITY, **option)])


def test_lambda_mode_needs_our_handler():
    mode = {'type': 'periodic', 'schedule': 'rate(1 hour)',
            'role': 'arn:aws:iam::123456789012:role/custodian'}
    p = load(['exposed-keys', ACTIVITY], validate=False, mode=mode)
    with pytest.raises(PolicyValidationError, match='uses exposed-key-activity in periodic'):
        p.resource_manager.filters[1].validate()
