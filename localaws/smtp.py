"""A local SMTP server on 127.0.0.1 (no TLS, no auth) that writes every message it receives
to a folder, for proving what c7n-mailer really delivers.

Each message is two files: NNNN.eml (the DATA exactly as received) and NNNN.json (the SMTP
envelope: MAIL FROM and RCPT TO, which the headers need not repeat).
"""

import json
import os
import threading
from pathlib import Path

from aiosmtpd.controller import Controller

from .mailbox import delivered

HOST = "127.0.0.1"


class _Controller(Controller):
    """aiosmtpd's Controller, able to listen on a port the OS picks (port 0).

    aiosmtpd 1.4 connects to `self.port` to check the server is up, which fails for port 0
    (aio-libs/aiosmtpd#388), so read the bound port first.
    """

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class _WriteToFolder:
    """aiosmtpd handler: write each message to the folder, then accept it."""

    def __init__(self, folder):
        self.folder = folder
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            number = 1 + sum(1 for _ in self.folder.glob("*.eml"))
            stem = self.folder / f"{number:04d}"
            # The envelope first: a reader that sees the .eml also finds its .json.
            write(stem.with_suffix(".json"), json.dumps(
                {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos}).encode())
            write(stem.with_suffix(".eml"), envelope.original_content)
        return "250 Message accepted for delivery"


def write(path, data):
    """Write whole or not at all, so a reader never sees half a message."""
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    os.replace(partial, path)


class SmtpSink:
    """An SMTP server on 127.0.0.1 writing to `folder`; use as a context manager."""

    def __init__(self, folder, port=0):
        self.folder = Path(folder)
        self.host = HOST
        self.port = port
        self._controller = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def start(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        self._controller = _Controller(_WriteToFolder(self.folder), hostname=HOST, port=self.port)
        self._controller.start()
        self.port = self._controller.port
        return self

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def messages(self):
        """What arrived so far; see mailbox.delivered()."""
        return delivered(self.folder)

