"""SQS ReceiveMessage's long poll, shortened to MAX_WAIT seconds.

c7n-mailer asks for a 10 second long poll and stops when a receive comes back empty, so on AWS
every run ends with a 10 second wait. On localaws nothing can arrive during that wait (the only
senders are the commands a test or the demo ran before), so the wait only adds time.
"""

import io
import json

from .calls import read_body

MAX_WAIT = 1


def shorten(environ):
    """Lower WaitTimeSeconds in a JSON-protocol ReceiveMessage body to MAX_WAIT; leave any
    other body (the query protocol, a bad value) as it is, for moto to answer."""
    try:
        params = json.loads(read_body(environ) or b"{}")
    except ValueError:
        return
    wait = params.get("WaitTimeSeconds") if isinstance(params, dict) else None
    if isinstance(wait, int) and MAX_WAIT < wait <= 20:
        body = json.dumps(dict(params, WaitTimeSeconds=MAX_WAIT)).encode("utf-8")
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
