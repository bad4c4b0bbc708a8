"""A c7n session factory over botocore Stubbers, for answers the local AWS can't give on cue."""
import boto3
from botocore.stub import Stubber


class StubFactory:
    """Hands out one stubbed client per service named; queue answers on `stubs[service]`.

    `stub` is the first service's Stubber, for tests of one service.
    """
    region = 'us-east-1'

    def __init__(self, *services):
        session = boto3.Session(
            region_name='us-east-1', aws_access_key_id='AKIAIOSFODNN7EXAMPLE',
            aws_secret_access_key='wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')
        self.clients = {name: session.client(name) for name in services}
        self.stubs = {name: Stubber(c) for name, c in self.clients.items()}
        self.stub = self.stubs[services[0]]
        # c7n's call statistics hook in here (policy.push and policy.run)
        self.events = self.clients[services[0]].meta.events

    def __call__(self, *args, **kw):
        return self

    @property
    def session_factory(self):
        return self

    def client(self, name, **kw):
        assert name in self.clients, name
        return self.clients[name]
