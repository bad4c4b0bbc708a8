"""Read one access key's CloudTrail events in one region: paged, capped and paced."""
import threading
import time

from botocore.exceptions import ClientError, EndpointConnectionError

PERMISSIONS = ('cloudtrail:LookupEvents',)
PAGE_SIZE = 50  # LookupEvents' maximum
# LookupEvents allows about two calls a second per account and region.
INTERVAL = 0.5

# Codes that mean the role can't read this region at all, so the rest of the
# run skips it rather than asking again for every key.
UNREADABLE = {
    'AccessDeniedException': 'access denied; grant cloudtrail:LookupEvents',
    'AccessDenied': 'access denied; grant cloudtrail:LookupEvents',
    'UnrecognizedClientException': 'credentials not valid there (an opt-in region not enabled?)',
    'InvalidClientTokenId': 'credentials not valid there (an opt-in region not enabled?)',
    'ThrottlingException': 'throttled even after retries',
}


class Pacer:
    """Spaces calls sharing a key (account, region) at least `interval` seconds apart.

    Each caller reserves the next free slot under the lock and sleeps outside
    it, so waiting on one region never holds up another.
    """

    def __init__(self, interval=INTERVAL, clock=time.monotonic, sleep=time.sleep):
        self.interval = interval
        self.clock = clock
        self.sleep = sleep
        self._lock = threading.Lock()
        self._next = {}

    def wait(self, key):
        with self._lock:
            now = self.clock()
            slot = max(now, self._next.get(key, now))
            self._next[key] = slot + self.interval
        if slot > now:
            self.sleep(slot - now)


# Shared by every policy in the process: AWS's limit is per account and region,
# not per policy. Tests replace it with one on a fake clock.
PACER = Pacer()


class Read:
    """What one key's lookup in one region produced."""

    def __init__(self, region, error=None, unreadable=False):
        self.region = region
        self.events = []
        self.pages = 0
        self.more = False              # max-pages stopped the read with events left
        self.error = error             # (code, message) of the call that failed
        self.unreadable = unreadable   # the error means the whole region is out of reach


def lookup(manager, client, region, key_id, start, end, max_pages):
    """Up to `max_pages` pages of the key's events between `start` and `end`, newest first."""
    read = Read(region)
    pace_key = (manager.config.account_id, region)

    def call(**params):
        # Paced per attempt, so c7n's retries keep to the limit too.
        PACER.wait(pace_key)
        return client.lookup_events(**params)

    params = {
        'LookupAttributes': [{'AttributeKey': 'AccessKeyId', 'AttributeValue': key_id}],
        'StartTime': start, 'EndTime': end, 'MaxResults': PAGE_SIZE}
    while read.pages < max_pages:
        try:
            page = manager.retry(call, **params)
        except ClientError as e:
            code = e.response['Error'].get('Code', '')
            read.error = (code, e.response['Error'].get('Message', ''))
            read.unreadable = code in UNREADABLE
            return read
        except EndpointConnectionError as e:
            read.error = ('EndpointConnectionError', str(e))
            read.unreadable = True
            return read
        read.pages += 1
        read.events.extend(page.get('Events') or [])
        token = page.get('NextToken')
        if not token:
            return read
        params['NextToken'] = token
    read.more = True
    return read
