"""What the plugin adds to the Lambda archive `custodian run` uploads for the hourly sweep.

    python bench/archive.py [--json FILE]

Both archives come from c7n's own packaging, c7n.mu.PolicyLambda(policy).get_archive(),
for the exposed-keys-sweep policy of policies/exposed-keys-lambda.yml loaded as
`custodian run` loads it (vars file, variable expansion, validation). "with" is that
policy as shipped; "without" is the same policy with `packages` and `handler` taken out
of its mode, the archive c7n would build for a policy that doesn't use the plugin.
Sizes are of the zip files; the difference is the plugin's compressed source plus the few
bytes those two settings take in config.json.
"""
import argparse
import copy
import json
import sys
import zipfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POLICY_FILE = ROOT / 'policies' / 'exposed-keys-lambda.yml'
VARS_FILE = ROOT / 'policies' / 'vars.example.yml'
POLICY = 'exposed-keys-sweep'
PACKAGE = 'c7n_exposedkeys'
ARCHIVE_MAX_KB = 100


def load_sweep():
    """The sweep policy, loaded, expanded and validated by c7n's CLI path."""
    from c7n.commands import policy_command
    from c7n.config import Config

    options = Config.empty(
        configs=[str(POLICY_FILE)], vars_file=str(VARS_FILE), account_id='123456789012',
        region='us-east-1', regions=['us-east-1'], policy_filters=[POLICY],
        resource_types=[])
    [policy] = policy_command(lambda options, policies: policies)(options)
    return policy


def without_plugin(policy):
    from c7n.policy import Policy

    data = copy.deepcopy(policy.data)
    del data['mode']['packages'], data['mode']['handler']
    return Policy(data, policy.options, session_factory=policy.session_factory)


def archive_bytes(policy):
    from c7n.mu import PolicyLambda
    return PolicyLambda(policy).get_archive().get_bytes()


def archive_sizes():
    policy = load_sweep()
    with_plugin = archive_bytes(policy)
    without = archive_bytes(without_plugin(policy))
    with zipfile.ZipFile(BytesIO(with_plugin)) as zf:
        ours = [i for i in zf.infolist() if i.filename.startswith(PACKAGE + '/')]
        files = len(zf.infolist())
    added = len(with_plugin) - len(without)
    return {
        'policy': POLICY,
        'with_bytes': len(with_plugin),
        'without_bytes': len(without),
        'files_with': files,
        'plugin_bytes': added,
        'plugin_files': sorted(i.filename for i in ours),
        'plugin_source_bytes': sum(i.file_size for i in ours),
        'plugin_compressed_bytes': sum(i.compress_size for i in ours),
        'targets': [{'target': f'the plugin adds under {ARCHIVE_MAX_KB} KB to the Lambda archive',
                     'measured': f'{added / 1024:+.1f} KB',
                     'pass': added < ARCHIVE_MAX_KB * 1024}],
    }


def print_sizes(sizes):
    print(f"== Lambda archive of {sizes['policy']} (c7n.mu.PolicyLambda) ==")
    print(f"with the plugin    {sizes['with_bytes']:>10,} bytes ({sizes['files_with']} files)")
    print(f"without the plugin {sizes['without_bytes']:>10,} bytes")
    print(f"the plugin adds    {sizes['plugin_bytes']:>10,} bytes: {len(sizes['plugin_files'])} "
          f"files, {sizes['plugin_source_bytes']:,} bytes of source, "
          f"{sizes['plugin_compressed_bytes']:,} compressed")
    print("targets:")
    for target in sizes['targets']:
        print(f"  {'PASS' if target['pass'] else 'FAIL'}  {target['target']}: "
              f"{target['measured']}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--json', metavar='FILE', help='write the figures to FILE')
    args = parser.parse_args(argv)
    sizes = archive_sizes()
    print_sizes(sizes)
    if args.json:
        Path(args.json).write_text(json.dumps(sizes, indent=1) + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
