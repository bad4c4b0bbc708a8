"""The Lambda entry for policies that use this plugin: ``c7n_exposedkeys.handler.run``.

Lambda reads no ``.pth`` file and c7n's own handler imports no third-party
package, so this entry registers the plugin before c7n loads the policy.
"""
import logging

from c7n_exposedkeys import initialize, trustedadvisor

log = logging.getLogger('custodian.exposedkeys')


def run(event, context):
    if not _dispatchable(event):
        # c7n's dispatch_event would raise on it, and Lambda would retry it in vain.
        log.warning("exposed-keys: ignoring an event that is not an EventBridge event "
                    "object: %.200r", event)
        return False
    initialize()
    # A warm Lambda process keeps module state: each event reads the check afresh.
    trustedadvisor.clear_cache()
    from c7n.handler import dispatch_event
    return dispatch_event(event, context)


def _dispatchable(event):
    # EventBridge Scheduler sends detail as the string '{}', which c7n accepts.
    return isinstance(event, dict) and (
        isinstance(event.get('detail', {}), dict) or event.get('detail') == '{}')
