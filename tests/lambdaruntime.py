"""Run a policy's real Lambda archive as the Lambda Python runtime would, against a LocalAWS.

    archive = build_archive(POLICY_FILE, 'exposed-keys-sweep', tmp_dir, vars_file=VARS)
    with LambdaProcess(archive, aws, tmp_dir) as function:    # one warm process
        first = function.invoke(scheduled_event(archive))     # an Invocation
        aws.seed({...})                                       # change AWS between events
        second = function.invoke(scheduled_event(archive))
        function.probe()                                      # sys.path, flags, imports

The archive is the one `custodian run` uploads: c7n.mu.PolicyLambda(policy).get_archive()
after loading the file the way the CLI does (c7n.commands.policy_command: vars file,
variable expansion, validation), config.json included; deployed_archive() instead takes
the zip a function was created with in the LocalAWS. It is unzipped and its handler runs
in a separate interpreter started with -S -E -s -B (no site-packages, no .pth file, no
PYTHON* variables, no bytecode written: Lambda's task folder is read-only). That
interpreter's sys.path is the archive folder, then a folder holding only what the Lambda
runtime provides (symlinks to this venv's boto3, botocore, dateutil, jmespath, urllib3,
s3transfer and six), then the standard library. Its cwd is the archive folder (c7n's
handler reads config.json from there), and its environment is LocalAWS.env() plus the
variables Lambda sets. c7n's handler writes its output under /tmp/<policy name>, as it
does in Lambda; tests read outcomes from the LocalAWS and the log lines instead.

The runner half of this file (`serve`, run as a script) uses the standard library alone.
"""
import json
import os
import queue
import subprocess
import sys
import threading
import time
import traceback
import uuid
import zipfile
from pathlib import Path

ACCOUNT = '123456789012'
REGION = 'us-east-1'
PYTHON_RUNTIME = 'python3.11'
# What the Lambda Python runtime provides besides the standard library.
RUNTIME_PACKAGES = ('boto3', 'botocore', 'dateutil', 'jmespath', 'urllib3', 's3transfer', 'six')
# The runtime's log line: level, UTC time, request id, message.
LOG_FORMAT = '[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s'
INVOKE_TIMEOUT = 300


# ---- parent side: build the archive and drive the runner ---------------------------------

class Archive:
    """A Lambda archive: the zip, its unzipped folder, and the function settings it runs with."""

    def __init__(self, zip_path, root, function_name, handler, runtime=PYTHON_RUNTIME,
                 memory_size=512, environment=None):
        self.zip_path = Path(zip_path)
        self.root = Path(root)
        self.function_name = function_name
        self.handler = handler
        self.runtime = runtime
        self.memory_size = memory_size
        self.environment = dict(environment or {})
        with zipfile.ZipFile(self.zip_path) as zf:
            self.names = sorted(zf.namelist())
        self.config = json.loads((self.root / 'config.json').read_text())

    @classmethod
    def unpack(cls, zip_bytes, dest, **function):
        """Write the zip to dest/ and unzip it in dest/task."""
        dest = Path(dest)
        dest.mkdir(parents=True)
        zip_path = dest / (function['function_name'] + '.zip')
        zip_path.write_bytes(zip_bytes)
        with zipfile.ZipFile(zip_path) as zf:
            zf.extractall(dest / 'task')
        return cls(zip_path, dest / 'task', **function)

    @property
    def policy(self):
        [policy] = self.config['policies']
        return policy

    @property
    def size(self):
        return self.zip_path.stat().st_size

    def files_under(self, package):
        return [n for n in self.names if n.startswith(package + '/')]


def load_policies(policy_file, vars_file=None, account_id=ACCOUNT, region=REGION, names=()):
    """Load, expand and validate policies exactly as `custodian run` does."""
    from c7n.commands import policy_command
    from c7n.config import Config

    options = Config.empty(
        configs=[str(policy_file)], vars_file=vars_file and str(vars_file),
        account_id=account_id, region=region, regions=[region],
        policy_filters=list(names), resource_types=[])
    return policy_command(lambda options, policies: policies)(options)


def build_archive(policy_file, policy_name, dest, vars_file=None, account_id=ACCOUNT):
    """Build `policy_name`'s Lambda archive with c7n's own packaging; unzip it in dest/<name>/."""
    [policy] = [p for p in load_policies(policy_file, vars_file, account_id)
                if p.name == policy_name]
    # The mode's own function class, as LambdaMode.provision uses: c7n.mu.PolicyLambda for
    # periodic, the plugin's for exposed-keys-event (its handler and package defaults).
    function = policy.get_execution_mode().policy_lambda(policy)
    # The archive's own finalizer deletes its temporary file.
    return Archive.unpack(
        function.get_archive().get_bytes(), Path(dest) / policy_name,
        function_name=function.name, handler=function.handler, runtime=function.runtime,
        memory_size=function.memory_size, environment=function.environment.get('Variables'))


def deployed_archive(aws, function_name, dest, account=ACCOUNT, region=REGION):
    """The archive and settings of a function created in the LocalAWS (e.g. by custodian run)."""
    config = aws.client('lambda').get_function(FunctionName=function_name)['Configuration']
    return Archive.unpack(
        aws.lambda_code(function_name, account=account, region=region),
        Path(dest) / function_name, function_name=function_name,
        handler=config['Handler'], runtime=config['Runtime'], memory_size=config['MemorySize'],
        environment=config.get('Environment', {}).get('Variables'))


def runtime_folder(dest):
    """A folder holding only the Lambda runtime's packages, as symlinks to this venv's."""
    import importlib.util

    folder = Path(dest) / 'runtime'
    if folder.exists():
        return folder
    folder.mkdir(parents=True)
    for name in RUNTIME_PACKAGES:
        spec = importlib.util.find_spec(name)
        source = Path(spec.origin)
        if spec.submodule_search_locations:  # a package: link its folder
            source = source.parent
        (folder / source.name).symlink_to(source)
    return folder


def lambda_environment(archive, aws, home, runtime_dir):
    """LocalAWS's environment (endpoint, example credentials, no host config) plus Lambda's."""
    name = archive.function_name
    env = aws.env(home)
    env.update(archive.environment)
    env.update(
        AWS_REGION=REGION,
        AWS_DEFAULT_REGION=REGION,
        AWS_EXECUTION_ENV='AWS_Lambda_' + archive.runtime,
        AWS_LAMBDA_FUNCTION_NAME=name,
        AWS_LAMBDA_FUNCTION_VERSION='$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE=str(archive.memory_size),
        AWS_LAMBDA_LOG_GROUP_NAME='/aws/lambda/' + name,
        AWS_LAMBDA_LOG_STREAM_NAME=time.strftime('%Y/%m/%d/[$LATEST]') + uuid.uuid4().hex,
        AWS_LAMBDA_INITIALIZATION_TYPE='on-demand',
        LAMBDA_TASK_ROOT=str(archive.root),
        LAMBDA_RUNTIME_DIR=str(runtime_dir),
        _HANDLER=archive.handler,
        TZ=':UTC',
        LANG='en_US.UTF-8',
    )
    return env


class LambdaRuntimeError(RuntimeError):
    pass


class Invocation(dict):
    """One event's outcome: result, error (None or errorType/errorMessage/stackTrace),
    logs (the runtime's log lines), request_id, and calls (the AWS calls LocalAWS saw
    while it ran, each {service, operation, account})."""

    @property
    def operations(self):
        return ['%s:%s' % (c['service'], c['operation']) for c in self['calls']]

    def log_text(self):
        return '\n'.join(self['logs'])


class LambdaProcess:
    """One warm Lambda execution environment running the archive's handler."""

    def __init__(self, archive, aws, workdir, timeout=INVOKE_TIMEOUT):
        self.archive = archive
        self.aws = aws
        self.workdir = Path(workdir)
        self.timeout = timeout
        self._proc = None
        self._replies = queue.Queue()
        self._stderr = None
        self.init = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def start(self):
        runtime_dir = runtime_folder(self.workdir)
        home = self.workdir / 'home'
        home.mkdir(exist_ok=True)
        # A file, not a pipe: the function's log must never block it.
        self._stderr = open(self.workdir / (self.archive.function_name + '.log'), 'w+b')
        self._proc = subprocess.Popen(
            [sys.executable, '-S', '-E', '-s', '-B', os.path.abspath(__file__),
             str(self.archive.root), str(runtime_dir), self.archive.handler],
            cwd=self.archive.root,
            env=lambda_environment(self.archive, self.aws, home, runtime_dir),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, text=True)
        threading.Thread(target=_drain, args=(self._proc.stdout, self._replies),
                         daemon=True).start()
        self.init = self._reply()
        if self.init.get('error'):
            raise LambdaRuntimeError('handler %s failed to load:\n%s' % (
                self.archive.handler, ''.join(self.init['error']['stackTrace'])))
        return self

    def stop(self):
        if self._proc is not None:
            self._proc.stdin.close()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc.stdout.close()
            self._proc = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def log(self):
        """Everything the function wrote to its log stream so far."""
        self._stderr.flush()
        return (self.workdir / (self.archive.function_name + '.log')).read_text()

    def _request(self, **request):
        self._proc.stdin.write(json.dumps(request) + '\n')
        self._proc.stdin.flush()
        return self._reply()

    def _reply(self):
        try:
            line = self._replies.get(timeout=self.timeout)
        except queue.Empty:
            line = None
            self._proc.kill()
        if line is None:
            self._proc.wait()
            raise LambdaRuntimeError('the Lambda runner stopped (status %s); its log:\n%s' % (
                self._proc.returncode, self.log()))
        return json.loads(line)

    def invoke(self, event):
        """Run the handler on one event in this warm process."""
        before = len(self.aws.calls())
        reply = self._request(op='invoke', event=event)
        return Invocation(reply, calls=self.aws.calls()[before:])

    def probe(self, modules=('yaml', 'tabulate', 'jsonschema')):
        """sys.path, sys.flags, and which of `modules` import, seen from inside."""
        return self._request(op='probe', modules=list(modules))


def run_events(archive, aws, workdir, events):
    """Invoke each event in turn in one warm process."""
    with LambdaProcess(archive, aws, workdir) as function:
        return [function.invoke(event) for event in events]


def scheduled_event(archive, account=ACCOUNT, region=REGION):
    """The event EventBridge sends a periodic policy's function on schedule."""
    return {
        'version': '0',
        'id': str(uuid.uuid4()),
        'detail-type': 'Scheduled Event',
        'source': 'aws.events',
        'account': account,
        'time': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
        'region': region,
        'resources': ['arn:aws:events:%s:%s:rule/%s' % (region, account, archive.function_name)],
        'detail': {},
    }


def _drain(stream, replies):
    for line in stream:
        replies.put(line)
    replies.put(None)


# ---- runner side: standard library only, started with -S -E -s ----------------------------

class LambdaContext:
    """The attributes the runtime's context object carries."""

    def __init__(self, request_id, timeout_ms=900000):
        self.aws_request_id = request_id
        self.function_name = os.environ['AWS_LAMBDA_FUNCTION_NAME']
        self.function_version = os.environ['AWS_LAMBDA_FUNCTION_VERSION']
        self.memory_limit_in_mb = os.environ['AWS_LAMBDA_FUNCTION_MEMORY_SIZE']
        self.log_group_name = os.environ['AWS_LAMBDA_LOG_GROUP_NAME']
        self.log_stream_name = os.environ['AWS_LAMBDA_LOG_STREAM_NAME']
        self.invoked_function_arn = 'arn:aws:lambda:%s:%s:function:%s' % (
            os.environ['AWS_REGION'], ACCOUNT, self.function_name)
        self.identity = self.client_context = None
        self._deadline = time.monotonic() + timeout_ms / 1000.0

    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _error(exc):
    return {'errorType': type(exc).__name__, 'errorMessage': str(exc),
            'stackTrace': traceback.format_exception(exc)}


def serve(task_root, runtime_dir, handler_name):
    import importlib
    import logging

    # -S leaves [script folder, standard library...]: Lambda's order, without our folder.
    sys.path[:] = [task_root, runtime_dir] + sys.path[1:]
    preloaded = sorted(m for m in sys.modules if m.split('.')[0] in (
        'c7n', 'c7n_exposedkeys', *RUNTIME_PACKAGES))
    replies = os.fdopen(os.dup(1), 'w', buffering=1)
    os.dup2(2, 1)  # the handler's prints go to the log stream, as in Lambda

    state = {'request_id': None, 'lines': []}

    class RuntimeLogHandler(logging.Handler):
        def emit(self, record):
            record.aws_request_id = state['request_id']
            line = self.format(record)
            state['lines'].append(line)
            sys.stderr.write(line + '\n')

    log_handler = RuntimeLogHandler()
    formatter = logging.Formatter(LOG_FORMAT, '%Y-%m-%dT%H:%M:%S')
    formatter.converter = time.gmtime
    log_handler.setFormatter(formatter)
    logging.getLogger().addHandler(log_handler)

    def reply(**payload):
        replies.write(json.dumps(payload, default=str) + '\n')

    # Init phase: import the handler once, as Lambda does before the first event.
    module_name, _, function_name = handler_name.rpartition('.')
    try:
        handler = getattr(importlib.import_module(module_name), function_name)
    except Exception as exc:
        reply(error=_error(exc), preloaded=preloaded)
        return
    reply(error=None, preloaded=preloaded, logs=state['lines'])

    for line in sys.stdin:
        request = json.loads(line)
        if request['op'] == 'probe':
            imports = {}
            for name in request['modules']:
                try:
                    importlib.import_module(name)
                    imports[name] = True
                except ImportError:
                    imports[name] = False
            reply(path=sys.path, flags={'no_site': sys.flags.no_site,
                                        'ignore_environment': sys.flags.ignore_environment,
                                        'no_user_site': sys.flags.no_user_site},
                  imports=imports, cwd=os.getcwd(),
                  modules=sorted(m for m in sys.modules if m.split('.')[0] in (
                      'c7n', 'c7n_exposedkeys')),
                  module_files={m: getattr(sys.modules[m], '__file__', None)
                                for m in ('c7n', 'c7n_exposedkeys', 'boto3', 'botocore')
                                if m in sys.modules})
            continue
        request_id = state['request_id'] = str(uuid.uuid4())
        state['lines'] = []
        try:
            result, error = handler(request['event'], LambdaContext(request_id)), None
        except Exception as exc:  # Lambda reports any exception as the invocation's error
            result, error = None, _error(exc)
        reply(result=result, error=error, logs=state['lines'], request_id=request_id)


if __name__ == '__main__':
    serve(*sys.argv[1:4])
