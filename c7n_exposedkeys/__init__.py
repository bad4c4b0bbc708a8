"""Cloud Custodian plugin: find IAM access keys AWS flags as exposed and deactivate them.

c7n has no plugin loading, so `c7n_exposedkeys.pth` (and, from Python 3.15,
`c7n_exposedkeys.start`) call `install()` at every interpreter start. This
module must cost next to nothing and never raise: standard library only, and
no c7n import until c7n itself imports `c7n.resources.iam`.
"""
import sys

TARGET = 'c7n.resources.iam'


class _RegisteringLoader:
    """Runs the real loader, then registers the plugin."""

    def __init__(self, loader):
        self.loader = loader

    def __getattr__(self, name):
        return getattr(self.loader, name)

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        # Leave no trace of the wrapper on the module.
        module.__loader__ = module.__spec__.loader = self.loader
        _register()


class ImportHook:
    """A meta path finder that only ever answers for TARGET, once."""

    def find_spec(self, name, path=None, target=None):
        if name != TARGET:
            return None
        uninstall()
        try:
            spec = _find_spec(name, path, target)
            if spec is not None and hasattr(spec.loader, 'exec_module'):
                spec.loader = _RegisteringLoader(spec.loader)
            return spec
        except Exception:  # never break c7n's own import
            _warn("exposed-keys: import hook failed")
            return None


def _find_spec(name, path, target):
    for finder in sys.meta_path:
        find = getattr(finder, 'find_spec', None)
        if find is not None:
            spec = find(name, path, target)
            if spec is not None:
                return spec
    return None


def _register():
    try:
        initialize()
    except Exception:
        _warn("exposed-keys: could not register the plugin with c7n")


def _warn(message):
    # logging is imported only here: importing it at start-up would cost every Python start.
    import logging
    logging.getLogger('custodian.exposedkeys').warning(message, exc_info=True)


def install():
    """Register now if c7n's iam resources are loaded, else when they are."""
    try:
        if TARGET in sys.modules:
            _register()
        elif not any(isinstance(f, ImportHook) for f in sys.meta_path):
            sys.meta_path.insert(0, ImportHook())
    except Exception:  # a startup hook must never stop the interpreter
        pass


def uninstall():
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, ImportHook)]


def initialize():
    """Register the plugin's elements: the exposed-keys and exposed-key-activity filters,
    the deactivate-exposed-keys and notify-exposed-keys actions, the exposed-keys-event mode and
    the account filter exposed-root-keys.

    Safe to call more than once. The import hook calls it when c7n imports its
    iam resources; code that embeds c7n can call it directly.
    """
    # Importing the modules registers their elements with c7n's registries.
    from c7n_exposedkeys import actions, filters, mode, notify  # noqa: F401
    from c7n_exposedkeys import activity, rootkeys  # noqa: F401
    rootkeys.register()
