"""The record of what notify-exposed-keys already told, kept as one IAM user tag.

The tag value is space-separated ``id=class`` tokens, for example
``AKIAIOSFODNN7EXAMPLE=inactive case:12345678915=no-key-id``: IAM allows 256
characters in a tag value and no commas, and every character used here is in
IAM's tag-value set (letters, digits, spaces and ``_ . : / = + - @``).
"""
import logging
import re

log = logging.getLogger('custodian.exposedkeys')

DEFAULT_TAG = 'c7n-exposed-keys-notified'
MAX_VALUE = 256
# deactivate-exposed-keys' outcome (before any ": <code>") -> the class recorded.
CLASSES = {
    'deactivated': 'inactive',
    'already-inactive': 'inactive',
    'gone': 'gone',
    'no-key-id': 'no-key-id',
    'failed': 'failed',
}
# An entry no deactivate-exposed-keys acted on (a notify-only policy).
NOT_ACTED = 'flagged'
# Kept out of ids: the separators (space, '='), and anything outside IAM's tag-value set.
UNSAFE = re.compile(r'[^A-Za-z0-9_.:/+@-]')


def entry_id(entry):
    """The key id; for a row without one, its support case (``case:none`` without either)."""
    key = entry.get('AccessKeyId')
    if key:
        return UNSAFE.sub('_', key)
    return 'case:' + UNSAFE.sub('_', entry.get('CaseId') or 'none')


def outcome_class(entry):
    outcome = entry.get('Outcome')
    if not outcome:
        return NOT_ACTED
    head = outcome.split(':')[0]
    return CLASSES.get(head) or UNSAFE.sub('_', head)


def parse(value):
    """{id: class} from a tag value; tokens not of the form id=class are ignored."""
    recorded = {}
    for token in (value or '').split():
        ident, sep, cls = token.partition('=')
        if sep and ident and cls:
            recorded.setdefault(ident, cls)
    return recorded


def is_news(entry, recorded):
    """True when the entry must be told: a key we just deactivated (someone turned it on
    again since the last time), or a class other than the one recorded for it."""
    return (entry.get('Outcome') == 'deactivated'
            or recorded.get(entry_id(entry)) != outcome_class(entry))


def render(entries, recorded, user=None):
    """The new tag value: the current entries first, then older ids while they fit.

    Returns (value, dropped ids). Older ids go first when the value is full; a
    current entry that does not fit either is dropped too. Either is logged.
    """
    current = {}
    for entry in entries:
        current.setdefault(entry_id(entry), outcome_class(entry))
    older = {i: c for i, c in recorded.items() if i not in current}
    kept, dropped, size = [], [], -1
    for ident, cls in list(current.items()) + list(older.items()):
        token = '%s=%s' % (ident, cls)
        if size + 1 + len(token) <= MAX_VALUE:
            kept.append(token)
            size += 1 + len(token)
        else:
            dropped.append(ident)
    if dropped:
        log.warning(
            "exposed-keys: user:%s record tag full (%d characters): dropped %s; a key "
            "dropped from the record is notified again when it is next listed",
            user, MAX_VALUE, ' '.join(dropped))
    return ' '.join(kept), dropped
