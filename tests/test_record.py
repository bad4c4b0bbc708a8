"""The notified-record tag: which entries are news, and a value IAM accepts."""
import re

import pytest

from c7n_exposedkeys import record

# IAM's tag-value rule ([\p{L}\p{Z}\p{N}_.:/=+\-@]*, at most 256), in ASCII.
IAM_TAG_VALUE = re.compile(r'[A-Za-z0-9 _.:/=+@-]{0,256}')
KEY = 'AKIAIOSFODNN7EXAMPLE'


def entry(outcome, key=KEY, case='12345678910'):
    return {'AccessKeyId': key, 'CaseId': case, 'Outcome': outcome}


@pytest.mark.parametrize('outcome, recorded, news', [
    # nothing recorded yet: every outcome is news
    ('deactivated', None, True),
    ('already-inactive', None, True),
    ('gone', None, True),
    ('failed: AccessDenied', None, True),
    # a key we just deactivated is always news: someone turned it on again
    ('deactivated', 'inactive', True),
    # the same class as recorded: told already
    ('already-inactive', 'inactive', False),
    ('gone', 'gone', False),
    ('failed: AccessDenied', 'failed', False),
    ('failed: Throttling', 'failed', False),  # any code is the same class
    # a new class
    ('gone', 'inactive', True),
    ('already-inactive', 'failed', True),
    ('failed: AccessDenied', 'inactive', True),
    ('already-inactive', 'gone', True),
    # flagged by a policy with no deactivate-exposed-keys
    (None, None, True),
    (None, 'flagged', False),
    ('already-inactive', 'flagged', True),
])
def test_news_rules(outcome, recorded, news):
    current = entry(outcome)
    if outcome is None:
        del current['Outcome']
    assert record.is_news(current, {KEY: recorded} if recorded else {}) is news


def test_rows_without_a_key_id_are_recorded_by_case():
    keyless = entry('no-key-id', key=None, case='12345678915')
    assert record.entry_id(keyless) == 'case:12345678915'
    assert record.is_news(keyless, {})
    assert not record.is_news(keyless, {'case:12345678915': 'no-key-id'})
    assert record.is_news(keyless, {'case:12345678999': 'no-key-id'})
    # no case either: one record for the user's caseless keyless rows
    caseless = entry('no-key-id', key=None, case=None)
    assert record.entry_id(caseless) == 'case:none'
    assert not record.is_news(caseless, record.parse('case:none=no-key-id'))


def test_render_writes_id_class_tokens_and_keeps_older_ids():
    entries = [entry('deactivated'), entry('gone', key='AKIAIOSFODNN1EXAMPLE'),
               entry('failed: AccessDenied', key='AKIAIOSFODNN2EXAMPLE'),
               entry('no-key-id', key=None, case='12345678915')]
    older = {'AKIAIOSFODNN9EXAMPLE': 'inactive', KEY: 'failed'}
    value, dropped = record.render(entries, older)
    assert value == ('AKIAIOSFODNN7EXAMPLE=inactive AKIAIOSFODNN1EXAMPLE=gone '
                     'AKIAIOSFODNN2EXAMPLE=failed case:12345678915=no-key-id '
                     'AKIAIOSFODNN9EXAMPLE=inactive')
    assert dropped == []
    # it reads back as written, and nothing in it is news any more
    assert record.parse(value) == {
        KEY: 'inactive', 'AKIAIOSFODNN1EXAMPLE': 'gone', 'AKIAIOSFODNN2EXAMPLE': 'failed',
        'case:12345678915': 'no-key-id', 'AKIAIOSFODNN9EXAMPLE': 'inactive'}
    assert [record.is_news(e, record.parse(value)) for e in entries[1:]] == [False] * 3


def test_values_stay_within_iam_limits_and_charset():
    # case ids with commas, spaces and '=' must not break the value or the tokens
    entries = [entry('no-key-id', key=None, case='123,456 = 7'), entry('failed: Bad Thing')]
    value, _ = record.render(entries, {})
    assert IAM_TAG_VALUE.fullmatch(value) and ',' not in value
    assert record.parse(value) == {'case:123_456___7': 'no-key-id', KEY: 'failed'}


def test_overflow_keeps_the_current_keys_and_drops_old_ones(caplog):
    older = {'AKIAOLD%013dEXAMPLE' % n: 'inactive' for n in range(12)}
    current = [entry('deactivated'), entry('gone', key='AKIAIOSFODNN1EXAMPLE')]
    value, dropped = record.render(current, older)
    assert len(value) <= record.MAX_VALUE and IAM_TAG_VALUE.fullmatch(value)
    kept = record.parse(value)
    assert kept[KEY] == 'inactive' and kept['AKIAIOSFODNN1EXAMPLE'] == 'gone'
    assert dropped and set(dropped) <= set(older)
    # the most recent older ids (first in the old value) are the ones kept
    assert [i for i in older if i in kept] == list(older)[:len(kept) - 2]
    assert 'record tag full (256 characters): dropped ' + dropped[0] in caplog.text


def test_overflow_of_current_entries_alone_is_logged():
    current = [entry('deactivated', key='AKIA%016d' % n) for n in range(12)]
    value, dropped = record.render(current, {})
    assert len(value) <= record.MAX_VALUE
    assert len(record.parse(value)) + len(dropped) == 12 and dropped


def test_parse_ignores_what_it_did_not_write():
    assert record.parse(None) == {}
    assert record.parse('') == {}
    assert record.parse('hand edited  AKIAIOSFODNN7EXAMPLE=gone =x y= ') == {KEY: 'gone'}
