"""The Lambda entry for policies that use this plugin: ``c7n_exposedkeys.handler.run``.

Lambda reads no ``.pth`` file and c7n's own handler imports no third-party
package, so this entry registers the plugin before c7n loads the policy.
"""
from c7n_exposedkeys import initialize, trustedadvisor


def run(event, context):
    initialize()
    # A warm Lambda process keeps module state: each event reads the check afresh.
    trustedadvisor.clear_cache()
    from c7n.handler import dispatch_event
    return dispatch_event(event, context)
