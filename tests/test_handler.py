"""c7n_exposedkeys.handler.run, in process: what it does before c7n's dispatch_event.

The real archive in a Lambda-like interpreter is tests/test_lambda.py's job.
"""
import sys
import types

import pytest

from c7n_exposedkeys import handler, trustedadvisor


def test_run_registers_the_plugin_clears_the_check_cache_then_dispatches(monkeypatch):
    steps = []

    def dispatch_event(event, context):
        steps.append(('dispatch', event, context, dict(trustedadvisor._cache)))
        return 'dispatched'

    # A stand-in for c7n.handler: importing the real one sets the root logger to DEBUG.
    monkeypatch.setitem(sys.modules, 'c7n.handler',
                        types.SimpleNamespace(dispatch_event=dispatch_event))
    monkeypatch.setattr(handler, 'initialize', lambda: steps.append(('initialize',)))
    monkeypatch.setitem(trustedadvisor._cache, ('123456789012', 'aws'), 'the previous event')
    event, context = {'detail-type': 'Scheduled Event'}, object()

    assert handler.run(event, context) == 'dispatched'
    assert steps == [('initialize',), ('dispatch', event, context, {})]


@pytest.mark.parametrize('event', [
    [], 'text', None, {'source': 'aws.health', 'detail': []}, {'detail': 'not json'}])
def test_malformed_events_are_logged_and_never_reach_c7n(monkeypatch, caplog, event):
    reached = []
    monkeypatch.setitem(sys.modules, 'c7n.handler',
                        types.SimpleNamespace(dispatch_event=lambda e, c: reached.append(e)))

    assert handler.run(event, None) is False
    assert reached == []
    assert 'ignoring an event that is not an EventBridge event object' in caplog.text


@pytest.mark.parametrize('detail', [{}, '{}'])
def test_scheduled_events_reach_c7n(monkeypatch, detail):
    reached = []
    monkeypatch.setitem(sys.modules, 'c7n.handler',
                        types.SimpleNamespace(dispatch_event=lambda e, c: reached.append(e)))
    monkeypatch.setattr(handler, 'initialize', lambda: None)
    event = {'detail-type': 'Scheduled Event', 'detail': detail}

    handler.run(event, None)
    assert reached == [event]
