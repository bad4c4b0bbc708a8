"""Rows of the Exposed Access Keys check become findings; bad rows are named and skipped."""
import logging

import pytest

from c7n_exposedkeys import findings

HEADINGS = list(findings.HEADINGS)


def row(*cells, status='error', **extra):
    return dict({'status': status, 'resourceId': 'row-1', 'isSuppressed': False,
                 'metadata': list(cells)}, **extra)


def test_full_row_converts_times_and_keeps_raw_text():
    [f] = findings.parse_rows([row(
        'AKIAIOSFODNN7EXAMPLE', 'alice', 'Exposed', '12345678910', '1764752400000',
        'https://github.com/example/repo', 'next week', '0.25')], HEADINGS)
    assert f == {
        'UserName': 'alice', 'IsRoot': False, 'AccessKeyId': 'AKIAIOSFODNN7EXAMPLE',
        'FraudType': 'Exposed', 'CaseId': '12345678910',
        'TimeUpdated': '2025-12-03T09:00:00.000Z', 'Deadline': 'next week',
        'Location': 'https://github.com/example/repo', 'UsageUsdPerDay': '0.25',
        'IsSuppressed': False, 'Status': 'error'}


def test_columns_follow_headings_not_position():
    headings = list(reversed(HEADINGS))
    cells = ['1.5', '', 'somewhere', '', '', 'Suspected', 'bob', 'AKIAIOSFODNN1EXAMPLE']
    [f] = findings.parse_rows([row(*cells)], headings)
    assert (f['UserName'], f['AccessKeyId'], f['FraudType'], f['UsageUsdPerDay']) == (
        'bob', 'AKIAIOSFODNN1EXAMPLE', 'Suspected', '1.5')
    assert f['Location'] == 'somewhere'


@pytest.mark.parametrize('blank', [None, '', '   '])
def test_missing_cells_stay_null_and_the_key_is_kept(blank):
    [f] = findings.parse_rows(
        [row('AKIAIOSFODNN7EXAMPLE', 'alice', blank, blank, blank, blank, blank, blank)],
        HEADINGS)
    assert f['AccessKeyId'] == 'AKIAIOSFODNN7EXAMPLE'
    assert [f[k] for k in ('FraudType', 'CaseId', 'TimeUpdated', 'Location', 'Deadline',
                           'UsageUsdPerDay')] == [None] * 6


def test_row_without_key_id_still_names_the_user():
    [f] = findings.parse_rows([row('', 'carol', 'Suspected', '', '', '', '', '')], HEADINGS)
    assert f['UserName'] == 'carol' and f['AccessKeyId'] is None


@pytest.mark.parametrize('bad, why', [
    (row('AKIAIOSFODNN7EXAMPLE', 'alice', 'Exposed'), 'row:row-1 with 3 cells, expected 8'),
    ({'status': 'error', 'resourceId': 'row-1'}, 'row:row-1 with no cells, expected 8'),
    (row('AKIAIOSFODNN7EXAMPLE', None, 'Exposed', '', '', '', '', ''),
     'row:row-1 key:AKIAIOSFODNN7EXAMPLE with no user name'),
    (row('AKIAIOSFODNN7EXAMPLE', ' ', 'Exposed', '', '', '', '', ''),
     'row:row-1 key:AKIAIOSFODNN7EXAMPLE with no user name'),
])
def test_malformed_rows_are_skipped_with_a_named_warning(caplog, bad, why):
    good = row('AKIAIOSFODNN2EXAMPLE', 'dave', 'Exposed', '', '', '', '', '')
    with caplog.at_level(logging.WARNING, 'custodian.exposedkeys'):
        result = findings.parse_rows([bad, good, 'not a row'], HEADINGS)
    assert [f['UserName'] for f in result] == ['dave']
    assert why in caplog.text
    assert 'row:None with no cells' in caplog.text


@pytest.mark.parametrize('user, root', [
    ('<root_account>', True), ('<ROOT_ACCOUNT>', True),
    ('arn:aws:iam::123456789012:root', True), ('root', False), ('alice', False)])
def test_root_forms(user, root):
    [f] = findings.parse_rows([row('AKIAIOSFODNN3EXAMPLE', user, '', '', '', '', '', '')],
                              HEADINGS)
    assert f['IsRoot'] is root


def test_user_arn_names_the_user():
    [f] = findings.parse_rows([row(
        'AKIAIOSFODNN3EXAMPLE', 'arn:aws:iam::123456789012:user/team/erin',
        '', '', '', '', '', '')], HEADINGS)
    assert f['UserName'] == 'erin' and not f['IsRoot']


@pytest.mark.parametrize('value, expected', [
    ('0', '1970-01-01T00:00:00.000Z'),
    ('1764752400123', '2025-12-03T09:00:00.123Z'),
    ('99999999999999999999999', '99999999999999999999999'),
    ('2025-12-03', '2025-12-03'),
    ('-5', '-5'),
    (None, None)])
def test_iso_time(value, expected):
    assert findings.iso_time(value) == expected


def test_status_and_suppression_are_normalised():
    [f] = findings.parse_rows([row(
        'AKIAIOSFODNN7EXAMPLE', 'alice', '', '', '', '', '', '', status=' WARNING ',
        isSuppressed='true')], HEADINGS)
    assert f['Status'] == 'warning'
    assert f['IsSuppressed'] is False  # only a real boolean true counts


def test_key_ids_are_read_as_iam_writes_them():
    [f] = findings.parse_rows([row(' akiaiosfodnn7example ', 'alice', '', '', '', '', '', '')],
                              HEADINGS)
    assert f['AccessKeyId'] == 'AKIAIOSFODNN7EXAMPLE'
