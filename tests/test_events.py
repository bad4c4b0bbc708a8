"""AWS Health and Trusted Advisor exposure events become findings; anything else gives a reason."""
import pytest

import exposureevents as ev
from c7n_exposedkeys import events, findings

KEY = 'AKIAIOSFODNN7EXAMPLE'


def test_default_codes_are_the_five_aws_uses():
    assert events.HEALTH_CODES == ev.HEALTH_CODES


@pytest.mark.parametrize('code', ev.HEALTH_CODES)
def test_each_health_code_is_a_finding(code):
    found, reason = events.parse(ev.health(code=code))
    assert reason is None
    assert found == [{
        'UserName': None, 'IsRoot': False, 'AccessKeyId': KEY, 'FraudType': code,
        'CaseId': None, 'TimeUpdated': 'Thu, 03 Dec 2026 09:00:00 GMT', 'Deadline': None,
        'Location': None, 'UsageUsdPerDay': None, 'IsSuppressed': False, 'Status': 'error'}]
    # The same shape as a Trusted Advisor row's finding.
    assert set(found[0]) == set(findings.parse_row(
        {'status': 'error', 'metadata': ['k', 'u', '', '', '', '', '', '']},
        findings.HEADINGS))


@pytest.mark.parametrize('location', ev.KEY_LOCATIONS)
def test_the_key_is_found_in_every_location(location):
    [finding], reason = events.parse(ev.health(key='akiaiosfodnn2example ', location=location))
    assert reason is None
    assert finding['AccessKeyId'] == 'AKIAIOSFODNN2EXAMPLE'


def test_event_metadata_gives_the_user_beside_the_key():
    [finding], _ = events.parse(ev.health(location='eventMetadata', user='bob'))
    assert (finding['UserName'], finding['IsRoot']) == ('bob', False)
    [finding], _ = events.parse(ev.health(
        location='eventMetadata', user='arn:aws:iam::123456789012:user/ops/bob'))
    assert finding['UserName'] == 'bob'


@pytest.mark.parametrize('user', ['<root_account>', 'arn:aws:iam::123456789012:root'])
def test_a_root_user_beside_the_key_is_marked_root(user):
    [finding], _ = events.parse(ev.health(location='eventMetadata', user=user))
    assert finding['IsRoot'] is True


def test_every_key_in_one_event_once_each():
    event = ev.health(location='affectedEntities', eventMetadata={
        'publicKey': 'AKIAIOSFODNN2EXAMPLE', 'userName': 'bob'},
        additionalDetails={'AccessKeyId': KEY})
    event['detail']['affectedEntities'].append({'entityValue': 'AKIAIOSFODNN2EXAMPLE'})
    found, _ = events.parse(event)
    # The user name the event gives is kept whichever location named the key first.
    assert [(f['AccessKeyId'], f['UserName']) for f in found] == [
        (KEY, None), ('AKIAIOSFODNN2EXAMPLE', 'bob')]


@pytest.mark.parametrize('value', [
    '123456789012', 'arn:aws:iam::123456789012:user/alice', 'ASIAIOSFODNN7EXAMPLE',
    'AKIAIOSFODNN7EXAMPLE1', 'AKIA IOSFODNN7EXAMPL', '', None, 42, {'id': KEY}])
def test_only_strings_shaped_like_access_key_ids_are_taken(value):
    event = ev.health(location='affectedEntities', key=value)
    found, reason = events.parse(event)
    assert found == []
    assert reason == (
        'is a AWS_RISK_CREDENTIALS_EXPOSED Health event that names no access key id (looked '
        'in affectedEntities[].entityValue, eventMetadata.publicKey, '
        'additionalDetails.AccessKeyId)')


def test_a_closed_health_event_does_not_flag_the_key():
    [finding], _ = events.parse(ev.health(statusCode='closed'))
    assert finding['Status'] == 'ok'
    [finding], _ = events.parse(ev.health(statusCode='open'))
    assert finding['Status'] == 'error'


def test_overridden_codes_replace_the_defaults():
    codes = ('AWS_RISK_CREDENTIALS_EXPOSED',)
    assert events.parse(ev.health(code='AWS_RISK_CREDENTIALS_EXPOSED'), codes)[1] is None
    found, reason = events.parse(ev.health(code='AWS_RISK_IAM_QUARANTINE'), codes)
    assert found == [] and reason == (
        'is a Health event with code AWS_RISK_IAM_QUARANTINE, not one of '
        'AWS_RISK_CREDENTIALS_EXPOSED')
    extra = ('AWS_RISK_CREDENTIALS_EXPOSED', 'AWS_RISK_NEW_CODE')
    assert events.parse(ev.health(code='AWS_RISK_NEW_CODE'), extra)[1] is None


def test_a_health_event_for_another_service_is_unrelated():
    found, reason = events.parse(ev.health(service='EC2'))
    assert found == [] and reason == 'is a Health event for service EC2, not RISK'


@pytest.mark.parametrize('status, expected', [('ERROR', 'error'), ('WARN', 'warning'),
                                              ('OK', 'ok')])
def test_trusted_advisor_event_maps_columns_by_heading(status, expected):
    found, reason = events.parse(ev.trusted_advisor(status=status))
    assert reason is None
    assert found == [{
        'UserName': 'alice', 'IsRoot': False, 'AccessKeyId': KEY, 'FraudType': 'Exposed',
        'CaseId': '12345678910', 'TimeUpdated': '2026-12-03T09:00:00.000Z',
        'Deadline': '2026-12-10T09:00:00.000Z',
        'Location': 'https://github.com/example/webapp/blob/main/settings.py',
        'UsageUsdPerDay': '0.25', 'IsSuppressed': False, 'Status': expected}]


@pytest.mark.parametrize('user', ['<root_account>', 'arn:aws:iam::123456789012:root'])
def test_trusted_advisor_root_row_is_marked_root(user):
    [finding], _ = events.parse(ev.trusted_advisor(user=user))
    assert finding['IsRoot'] is True


def test_trusted_advisor_item_without_key_still_names_its_user():
    [finding], reason = events.parse(ev.trusted_advisor(key='', **{'Fraud Type': 'Suspected'}))
    assert reason is None
    assert (finding['UserName'], finding['AccessKeyId']) == ('alice', None)


def test_trusted_advisor_missing_cells_stay_null():
    event = ev.trusted_advisor()
    event['detail']['check-item-detail'] = {
        'Access Key ID': KEY, 'User Name (IAM or Root)': 'alice'}
    [finding], _ = events.parse(event)
    assert finding['AccessKeyId'] == KEY
    assert finding['CaseId'] is None and finding['Deadline'] is None


@pytest.mark.parametrize('change, reason', [
    ({'check-name': 'IAM Access Key Rotation'},
     "is a Trusted Advisor event for check 'IAM Access Key Rotation', not 'Exposed Access Keys'"),
    ({'status': 'PURPLE'}, "is a Trusted Advisor event with unknown status 'PURPLE'"),
    ({'check-item-detail': ['AKIAIOSFODNN7EXAMPLE', 'alice']},
     'is a Trusted Advisor event without a check-item-detail object'),
])
def test_malformed_or_other_trusted_advisor_events_give_a_reason(change, reason):
    event = ev.trusted_advisor()
    event['detail'].update(change)
    assert events.parse(event) == ([], reason)


def test_trusted_advisor_item_with_no_user_or_a_bad_key_gives_a_reason():
    assert events.parse(ev.trusted_advisor(user='')) == (
        [], 'is a Trusted Advisor event that names no user')
    assert events.parse(ev.trusted_advisor(key='not-a-key')) == (
        [], "is a Trusted Advisor event whose key id 'not-a-key' is not an access key id")


def test_trusted_advisor_events_can_be_turned_off():
    assert events.parse(ev.trusted_advisor(), trusted_advisor=False) == (
        [], 'is a Trusted Advisor event and the policy takes Health events only')


@pytest.mark.parametrize('event, reason', [
    (ev.unrelated(), 'is not an exposure event (source:aws.ec2 detail-type:EC2 Instance '
                     'State-change Notification)'),
    ({}, 'is not an exposure event (source:None detail-type:None)'),
    ([], 'is not a JSON object'),
    ('{"source": "aws.health"}', 'is not a JSON object'),
    (dict(ev.health(), detail='oops'), 'is a Health event without a detail object'),
    (dict(ev.trusted_advisor(), detail=None),
     'is a Trusted Advisor event without a detail object'),
])
def test_unrelated_and_malformed_events_give_a_reason(event, reason):
    assert events.parse(event) == ([], reason)


def test_malformed_entities_are_skipped_and_the_rest_still_read():
    event = ev.health(location='eventMetadata', user='bob')
    event['detail']['affectedEntities'] = ['AKIAIOSFODNN1EXAMPLE', None, {'entityValue': None}]
    event['detail']['additionalDetails'] = 'AKIAIOSFODNN1EXAMPLE'
    [finding], reason = events.parse(event)
    assert reason is None and finding['AccessKeyId'] == KEY
    event['detail']['affectedEntities'] = {'entityValue': KEY}
    assert events.parse(event)[0] == [finding]


def test_pattern_matches_both_sources_with_or():
    assert events.pattern() == {'$or': [
        {'source': ['aws.health'], 'detail-type': ['AWS Health Event'],
         'detail': {'service': ['RISK'], 'eventTypeCode': list(ev.HEALTH_CODES)}},
        {'source': ['aws.trustedadvisor'],
         'detail-type': ['Trusted Advisor Check Item Refresh Notification'],
         'detail': {'check-name': ['Exposed Access Keys'], 'status': ['ERROR', 'WARN']}},
    ]}
    assert events.pattern(['AWS_RISK_IAM_QUARANTINE'], trusted_advisor=False) == {
        'source': ['aws.health'], 'detail-type': ['AWS Health Event'],
        'detail': {'service': ['RISK'], 'eventTypeCode': ['AWS_RISK_IAM_QUARANTINE']}}
