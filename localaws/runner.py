"""Run the stock `custodian` and `c7n-org` commands against a LocalAWS, and read what
`notify` left in the mailer queue."""
import base64
import json
import subprocess
import sys
import zlib
from pathlib import Path

from .client import LocalAWSError


def command(name):
    """The console script installed beside this Python (the venv's own `custodian`)."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        raise LocalAWSError(
            f"{name} is not installed beside {sys.executable}: pip install -e '.[test]'")
    return str(path)


def run(aws, name, *args, home, cwd=None, timeout=600):
    """Run `name` with `args` in an environment that only knows the local AWS."""
    return subprocess.run(
        [command(name), *map(str, args)], env=aws.env(home), cwd=cwd,
        capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def notifications(aws, queue='custodian-mailer', account='123456789012'):
    """The messages c7n's notify sent to the queue, decoded (base64 of zlib of JSON)."""
    return [json.loads(zlib.decompress(base64.b64decode(body)))
            for body in aws.queue_messages(queue, account=account)]
