"""`LocalAWS`: run the local AWS server as a subprocess and talk to it."""

import base64
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from .defaults import DEFAULT_ACCOUNT, FAKE_ACCESS_KEY, FAKE_SECRET_KEY, REGION, ROLE_NAME

PASSED_THROUGH = ("PATH", "LANG", "LC_ALL")
# Ignore proxy settings: the server is always on loopback.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class LocalAWSError(RuntimeError):
    pass


class LocalAWS:
    """A local AWS server in a subprocess; use as a context manager."""

    def __init__(self, scenario=None, ready_timeout=30.0):
        self.scenario = scenario
        self.ready_timeout = ready_timeout
        self.endpoint = None
        self._proc = None
        self._stderr = None
        self._session = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def start(self):
        command = [sys.executable, "-m", "localaws", "serve", "--port", "0"]
        if self.scenario:
            command += ["--scenario", self.scenario]
        # A file, not a pipe: a full pipe would block the server on logging.
        self._stderr = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(
            command,
            cwd=Path(__file__).resolve().parent.parent,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        lines = queue.Queue()
        threading.Thread(target=_drain, args=(self._proc.stdout, lines), daemon=True).start()
        self.endpoint = self._wait_ready(lines)
        return self

    def _wait_ready(self, lines):
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.1)
            except queue.Empty:
                continue
            if line is None:
                self._proc.wait()
                raise self._failure(f"exited with status {self._proc.returncode} before READY")
            if line.startswith("READY "):
                return line.split()[1]
        failure = self._failure(f"printed no READY line within {self.ready_timeout:g} s")
        self.stop()
        raise failure

    def _failure(self, what):
        self._stderr.seek(0)
        stderr = self._stderr.read().decode("utf-8", "replace")
        return LocalAWSError(f"localaws server {what}; its stderr:\n{stderr}")

    def stop(self):
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.terminate()
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

    # Control endpoints: they are not AWS calls and are never in calls().

    def _control(self, method, route, payload=None, **query):
        url = f"{self.endpoint}/_localaws/{route}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = None if payload is None else payload.encode("utf-8")
        if method == "POST" and data is None:
            data = b""
        request = urllib.request.Request(
            url, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with _opener.open(request, timeout=300) as response:
                return json.load(response)
        except urllib.error.HTTPError as err:
            raise LocalAWSError(f"{method} {route}: {err.code} {err.read().decode()}") from None

    def seed(self, doc):
        """Add a seed document (a dict, or JSON text); see localaws/seed.py."""
        text = doc if isinstance(doc, str) else json.dumps(doc)
        return self._control("POST", "seed", text)

    def reset(self):
        """Wipe moto's state, the Trusted Advisor state and the call log."""
        return self._control("POST", "reset")

    def calls(self):
        return self._control("GET", "calls")["calls"]

    def reset_calls(self):
        return self._control("POST", "calls/reset")

    def keys(self, account=DEFAULT_ACCOUNT):
        return self._control("GET", "keys", account=account)["keys"]

    def queue_messages(self, name, account=DEFAULT_ACCOUNT, region=REGION):
        return self._control("GET", f"queue/{urllib.parse.quote(name)}", account=account, region=region)["messages"]

    def lambda_code(self, name, account=DEFAULT_ACCOUNT, region=REGION):
        """The zip archive a Lambda function was created with (bytes)."""
        route = f"lambda/{urllib.parse.quote(name)}/code"
        return base64.b64decode(self._control("GET", route, account=account, region=region)["zip"])

    # For subprocesses and boto3 clients.

    def env(self, home):
        """A complete environment for `custodian`/`c7n-org`: nothing from the host but PATH and locale."""
        aws_dir = Path(home) / ".aws"
        aws_dir.mkdir(parents=True, exist_ok=True)
        config, credentials = aws_dir / "config", aws_dir / "credentials"
        config.touch()
        credentials.touch()
        env = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
        env.setdefault("PATH", os.defpath)
        env.update(
            HOME=str(home),
            AWS_ENDPOINT_URL=self.endpoint,
            AWS_ACCESS_KEY_ID=FAKE_ACCESS_KEY,
            AWS_SECRET_ACCESS_KEY=FAKE_SECRET_KEY,
            AWS_DEFAULT_REGION=REGION,
            AWS_CONFIG_FILE=str(config),
            AWS_SHARED_CREDENTIALS_FILE=str(credentials),
            AWS_EC2_METADATA_DISABLED="true",
        )
        return env

    def client(self, service, account=None, config=None, region=None):
        """A boto3 client on the endpoint; with `account`, through AssumeRole into its custodian role.

        `region` (default us-east-1) matters where localaws keeps state per region (CloudTrail)."""
        import boto3

        credentials = {
            "aws_access_key_id": FAKE_ACCESS_KEY,
            "aws_secret_access_key": FAKE_SECRET_KEY,
        }
        if account is not None:
            assumed = self.client("sts").assume_role(
                RoleArn=f"arn:aws:iam::{account}:role/{ROLE_NAME}",
                RoleSessionName="localaws",
            )["Credentials"]
            credentials = {
                "aws_access_key_id": assumed["AccessKeyId"],
                "aws_secret_access_key": assumed["SecretAccessKey"],
                "aws_session_token": assumed["SessionToken"],
            }
        if self._session is None:
            # One session: it caches service models, so later clients come cheap.
            self._session = boto3.Session(
                botocore_session=_isolated_botocore_session(), region_name=REGION)
        return self._session.client(
            service, endpoint_url=self.endpoint, config=config, region_name=region, **credentials)


def _drain(stream, lines):
    for line in stream:
        lines.put(line.strip())
    lines.put(None)


def _isolated_botocore_session():
    """A botocore session that reads no profile or config file from the host."""
    import botocore.session

    unset = (None, None, None, None)
    return botocore.session.Session(session_vars={
        "profile": unset,
        "config_file": (None, None, os.devnull, None),
        "credentials_file": (None, None, os.devnull, None),
    })
