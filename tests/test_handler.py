"""c7n_exposedkeys.handler.run, in process: what it does before c7n's dispatch_event.

The real archive in a Lambda-like interpreter is tests/test_lambda.py's job.
"""
import sys
import types

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
