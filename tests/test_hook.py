"""The .pth import hook: lazy, registers on c7n's own import, never raises, uninstalls cleanly."""
import json
import subprocess
import sys
import sysconfig
import types
import venv
from pathlib import Path

import pytest

import c7n_exposedkeys

ROOT = Path(__file__).resolve().parent.parent
STARTUP_FILES = ('c7n_exposedkeys.pth', 'c7n_exposedkeys.start')


def python(code, executable=sys.executable):
    out = subprocess.run([executable, '-c', code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_interpreter_start_installs_the_hook_without_importing_c7n():
    state = python(
        'import sys, json; print(json.dumps({'
        '"c7n": any(m == "c7n" or m.startswith("c7n.") for m in sys.modules),'
        '"logging": "logging" in sys.modules,'
        '"hook": [type(f).__name__ for f in sys.meta_path].count("ImportHook")}))')
    assert state == {'c7n': False, 'logging': False, 'hook': 1}


def test_c7n_loading_iam_registers_the_plugin_and_the_hook_steps_aside():
    state = python(
        'import sys, json\n'
        'from c7n.resources import load_resources\n'
        'load_resources(("aws.iam-user",))\n'
        'from c7n.resources.iam import User\n'
        'iam = sys.modules["c7n.resources.iam"]\n'
        'print(json.dumps({'
        '"filter": User.filter_registry.get("exposed-keys").__module__,'
        '"action": User.action_registry.get("deactivate-exposed-keys").__module__,'
        '"hook": [type(f).__name__ for f in sys.meta_path].count("ImportHook"),'
        '"loader": type(iam.__loader__).__name__,'
        '"spec_loader": type(iam.__spec__.loader).__name__}))')
    assert state == {'filter': 'c7n_exposedkeys.filters', 'action': 'c7n_exposedkeys.actions',
                     'hook': 0, 'loader': 'SourceFileLoader',
                     'spec_loader': 'SourceFileLoader'}


@pytest.fixture
def fake_target(tmp_path, monkeypatch):
    """A stand-in for c7n.resources.iam, so the hook can be driven in-process."""
    (tmp_path / 'fake_iam_target.py').write_text('VALUE = 42\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(c7n_exposedkeys, 'TARGET', 'fake_iam_target')
    monkeypatch.setattr(sys, 'meta_path', [
        f for f in sys.meta_path if not isinstance(f, c7n_exposedkeys.ImportHook)])
    monkeypatch.delitem(sys.modules, 'fake_iam_target', raising=False)
    calls = []
    monkeypatch.setattr(c7n_exposedkeys, 'initialize', lambda: calls.append('init'))
    yield calls
    sys.modules.pop('fake_iam_target', None)


def test_hook_registers_after_the_target_module_ran(fake_target):
    c7n_exposedkeys.install()
    c7n_exposedkeys.install()  # idempotent: one hook only
    assert sum(isinstance(f, c7n_exposedkeys.ImportHook) for f in sys.meta_path) == 1
    import fake_iam_target
    assert fake_iam_target.VALUE == 42
    assert fake_target == ['init']
    assert not any(isinstance(f, c7n_exposedkeys.ImportHook) for f in sys.meta_path)


def test_install_after_the_target_is_loaded_registers_at_once(fake_target):
    sys.modules['fake_iam_target'] = types.ModuleType('fake_iam_target')
    c7n_exposedkeys.install()
    assert fake_target == ['init']
    assert not any(isinstance(f, c7n_exposedkeys.ImportHook) for f in sys.meta_path)


def test_a_failing_registration_never_breaks_the_import(fake_target, monkeypatch, caplog):
    def broken():
        raise RuntimeError('boom')
    monkeypatch.setattr(c7n_exposedkeys, 'initialize', broken)
    c7n_exposedkeys.install()
    import fake_iam_target
    assert fake_iam_target.VALUE == 42
    assert 'could not register the plugin with c7n' in caplog.text
    assert 'boom' in caplog.text


def test_install_never_raises(monkeypatch):
    monkeypatch.setattr(sys, 'meta_path', None)  # anything broken in the interpreter
    c7n_exposedkeys.install()


@pytest.mark.parametrize('editable', [False, True], ids=['install', 'editable'])
def test_pip_installs_and_uninstalls_the_startup_files(tmp_path, editable):
    """pip install (plain and -e) puts the startup files in site-packages, the stock
    CLI then sees the plugin, and pip uninstall removes them."""
    env_dir = tmp_path / 'venv'
    venv.create(env_dir, with_pip=False)
    target_py = env_dir / 'bin' / 'python'
    site = Path(python(
        'import sysconfig, json; print(json.dumps(sysconfig.get_paths()["purelib"]))',
        str(target_py)))
    # Let the new venv import c7n from ours without processing our .pth files.
    (site / '_outer.pth').write_text(sysconfig.get_paths()['purelib'] + '\n')
    pip = [sys.executable, '-m', 'pip', '--python', str(target_py), '-q']
    install = pip + ['install', '--no-deps'] + (['-e'] if editable else []) + [str(ROOT)]
    subprocess.run(install, check=True, capture_output=True)
    assert all((site / name).exists() for name in STARTUP_FILES)
    out = subprocess.run(
        [str(target_py), '-m', 'c7n.cli', 'schema', 'iam-user.actions.deactivate-exposed-keys'],
        capture_output=True, text=True, check=True)
    assert 'Set the keys that ``exposed-keys`` flagged to Inactive' in out.stdout
    subprocess.run(pip + ['uninstall', '-y', 'c7n_exposedkeys'], check=True, capture_output=True)
    assert not any((site / name).exists() for name in STARTUP_FILES)
