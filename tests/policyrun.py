"""Load and run c7n policies against a flight's sessions, as c7n's own tests do."""
from c7n.config import Config
from c7n.loader import PolicyLoader
from c7n.resources import load_resources

import c7n_exposedkeys
from c7n_exposedkeys import trustedadvisor

ACCOUNT = '123456789012'


def load_policies(data, session_factory, output_dir, **options):
    load_resources(('aws.iam-user', 'aws.account'))
    c7n_exposedkeys.initialize()
    config = Config.empty(account_id=ACCOUNT, region='us-east-1',
                          output_dir=str(output_dir), **options)
    policies = PolicyLoader(config).load_data(
        {'policies': data if isinstance(data, list) else [data]}, 'memory://test',
        session_factory=session_factory)
    for p in policies:
        p.validate()
    return list(policies)


def run(data, session_factory, output_dir, **options):
    """Run each policy as `custodian run` would (one Trusted Advisor cache per run)."""
    trustedadvisor.clear_cache()
    return [p.run() for p in load_policies(data, session_factory, output_dir, **options)]


def key_states(flight, user):
    """Read a user's key states back through the flight, as a test's proof."""
    client = flight.session_factory().client('iam')
    return {k['AccessKeyId']: k['Status']
            for k in client.list_access_keys(UserName=user)['AccessKeyMetadata']}


def operations(flight, service=None):
    return [op for svc, op, _ in flight.calls if service in (None, svc)]
