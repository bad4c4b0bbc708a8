"""What a Lambda-mode policy needs to load this plugin, checked at validate time."""
from c7n.exceptions import PolicyValidationError

HANDLER = 'c7n_exposedkeys.handler.run'
PACKAGE = 'c7n_exposedkeys'
# The plugin's own event mode (mode.py) supplies HANDLER and PACKAGE when a policy leaves them out.
EVENT_MODE = 'exposed-keys-event'


def check(element):
    """Refuse a Lambda mode that would deploy a function unable to load the plugin."""
    mode = element.manager.data.get('mode') or {}
    if mode.get('type', 'pull') == 'pull':
        return
    name = element.manager.data.get('name')
    ours = mode['type'] == EVENT_MODE
    if mode.get('handler', HANDLER if ours else None) != HANDLER:
        raise PolicyValidationError(
            "policy:%s uses %s in %s mode: set mode.handler to %s%s (c7n's default handler "
            "never loads the plugin)" % (name, element.type, mode['type'], HANDLER,
                                         ' or leave it out' if ours else ''))
    if not ours and PACKAGE not in (mode.get('packages') or ()):
        raise PolicyValidationError(
            "policy:%s uses %s in %s mode: add %s to mode.packages, or the Lambda archive "
            "will not contain the plugin" % (name, element.type, mode['type'], PACKAGE))
