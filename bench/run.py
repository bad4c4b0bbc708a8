"""Benchmark: what the exposed-keys filter and action cost a real `custodian run`.

    python bench/run.py [--users 1000 10000] [--runs 5] [--flagged 5] [--json FILE]

For each user count, the stock `custodian run` runs three policies against the local AWS
(localaws/), interleaved plain, ours, core, then core, ours, plain, and so on:

  plain  iam-user with no filter: the cost of listing users, which every variant pays;
  ours   filters: [exposed-keys], actions: [deactivate-exposed-keys];
  core   c7n's own access-key filter (Status Active), for scale: it lists every user's keys.

The local AWS is reset and seeded before every run (not timed), so each run starts from the
same state and ours always finds its flagged keys Active. A run's figures are the wall time
of the subprocess and the AWS calls the server saw, by service:Operation; c7n's own
ResourceTime (query and filters) and ActionTime come from the run's metadata.json.

Then the start-up cost of the .pth hook on a bare `python -c pass` (bench/startup.py), measured in two
throwaway venvs on the same base interpreter that both see this venv's site-packages and run
all its .pth files, except that one skips c7n_exposedkeys.pth. Nothing in the shared venv is
renamed or changed. A second, steadier figure is `-X importtime` for c7n_exposedkeys.

Last, the size of the Lambda archive c7n builds for the hourly sweep, with and without the
plugin (bench/archive.py, which also runs on its own).

This is a report, not a test: tests/test_bench.py only checks that it runs and counts.
"""
import argparse
import collections
import importlib.metadata
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from archive import archive_sizes, print_sizes
from measure import progress, timed
from startup import PACKAGE, PTH, startup_cost

ROOT = Path(__file__).resolve().parent.parent

VARIANTS = ('plain', 'ours', 'core')
POLICIES = {
    'plain': {'name': 'plain', 'resource': 'iam-user'},
    'ours': {'name': 'ours', 'resource': 'iam-user',
             'filters': ['exposed-keys'], 'actions': ['deactivate-exposed-keys']},
    'core': {'name': 'core', 'resource': 'iam-user',
             'filters': [{'type': 'access-key', 'key': 'Status', 'value': 'Active'}]},
}
# What deactivate-exposed-keys may call: one ListAccessKeys per matched user, one
# UpdateAccessKey per flagged Active key. Anything else ours adds over plain is the filter's.
ACTION_CALLS = ('iam:ListAccessKeys', 'iam:UpdateAccessKey')
FILTER_MAX_CALLS = 2
WALL_MAX_PCT = 5.0


def main(argv=None):
    args = parse_args(argv)
    sys.path.insert(0, str(ROOT))  # localaws lives beside the package, not in it
    started = time.perf_counter()
    report = {
        'environment': environment(),
        'settings': {'users': args.users, 'runs': args.runs, 'flagged': args.flagged,
                     'startup_batches': args.startup_batches,
                     'startup_runs': args.startup_runs,
                     'callgrind_runs': args.callgrind_runs},
        'sizes': [],
    }
    print_environment(report['environment'])
    with tempfile.TemporaryDirectory(prefix='c7n-exposedkeys-bench-') as tmp:
        tmp = Path(tmp)
        policies = write_policies(tmp)
        from localaws import LocalAWS
        with LocalAWS() as aws:
            for users in args.users:
                runs = run_size(aws, tmp, policies, users, args.flagged, args.runs)
                report['sizes'].append(
                    {'users': users, 'flagged': min(args.flagged, users), 'runs': runs,
                     'summary': summarize(runs)})
        report['startup'] = startup_cost(
            tmp, args.startup_batches, args.startup_runs, args.callgrind_runs)
    report['archive'] = archive_sizes()
    report['environment']['loadavg_end'] = loadavg()
    report['total_seconds'] = time.perf_counter() - started
    targets = [t for size in report['sizes'] for t in size['summary']['targets']]
    targets += report['startup'].get('targets', [])
    targets += report['archive']['targets']
    report['all_targets_pass'] = all(t['pass'] for t in targets)
    print_report(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1) + '\n')
        print(f"raw numbers: {args.json}")
    # A report, not a test: a missed target is printed, not an exit status.
    return 0


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--users', type=int, nargs='+', default=[1000, 10000],
                        help='user counts to seed (default: 1000 10000)')
    parser.add_argument('--runs', type=int, default=5, help='runs of each variant (default: 5)')
    parser.add_argument('--flagged', type=int, default=5,
                        help='users with a key Trusted Advisor flags (default: 5)')
    parser.add_argument('--json', metavar='FILE', help='write every raw number to FILE')
    parser.add_argument('--startup-batches', type=int, default=10,
                        help='interleaved batches per configuration for the start-up cost '
                             '(default: 10; 0 skips it)')
    parser.add_argument('--startup-runs', type=int, default=40,
                        help='interpreter starts per batch (default: 40)')
    parser.add_argument('--callgrind-runs', type=int, default=3,
                        help='starts of each configuration counted by valgrind (default: 3)')
    args = parser.parse_args(argv)
    if args.runs < 1 or args.flagged < 0 or min(args.users) < 1:
        parser.error('--runs and --users must be at least 1, --flagged at least 0')
    return args


# Environment

def environment():
    versions = {}
    for dist in ('c7n', 'moto', 'boto3', 'botocore', PACKAGE):
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            versions[dist] = None
    return {
        'python': platform.python_version(),
        'implementation': platform.python_implementation(),
        'executable': sys.executable,
        'platform': platform.platform(),
        'versions': versions,
        'cpu_count': os.cpu_count(),
        'cpus_usable': len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else None,
        'loadavg_start': loadavg(),
    }


def loadavg():
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def print_environment(env):
    v = env['versions']
    print(f"python {env['python']} ({env['executable']}) | c7n {v['c7n']} | moto {v['moto']} | "
          f"boto3 {v['boto3']} | botocore {v['botocore']}")
    print(f"{env['platform']} | cores {env['cpu_count']} (usable {env['cpus_usable']}) | "
          f"load average {env['loadavg_start']}", flush=True)


# Policy runs

def write_policies(tmp):
    import yaml
    paths = {}
    for variant in VARIANTS:
        paths[variant] = tmp / f'{variant}.yml'
        document = {'policies': [POLICIES[variant]]}
        paths[variant].write_text(yaml.safe_dump(document, sort_keys=False))
    return paths


def run_size(aws, tmp, policies, users, flagged, runs):
    from localaws.seed import bulk
    seed = bulk(users, flagged)
    results = []
    for i in range(1, runs + 1):
        # Reverse the order every other round, so no variant always follows the same one.
        for variant in VARIANTS if i % 2 else VARIANTS[::-1]:
            aws.reset()
            aws.seed(seed)
            result = run_policy(aws, tmp / f'{users}-{variant}-{i}', policies[variant], variant)
            result.update(variant=variant, run=i)
            results.append(result)
            progress(f"{users:>6} users  {variant:<5} run {i}/{runs}  {result['wall_s']:7.2f} s  "
                     f"{sum(result['calls'].values()):>6} calls")
    return results


def run_policy(aws, workdir, policy, variant):
    from localaws.runner import run
    home, out = workdir / 'home', workdir / 'out'
    home.mkdir(parents=True)
    aws.reset_calls()
    proc, wall, cpu = timed(
        run, aws, 'custodian', 'run', '-s', out, '--cache-period', '0', policy, home=home)
    calls = collections.Counter(f"{c['service']}:{c['operation']}" for c in aws.calls())
    if proc.returncode != 0:
        raise SystemExit(f"custodian run {policy.name} exited {proc.returncode}:\n{proc.stderr}")
    result = {'wall_s': wall, 'cpu_s': cpu, 'calls': dict(sorted(calls.items()))}
    result.update(read_metadata(out / POLICIES[variant]['name'] / 'metadata.json'))
    shutil.rmtree(workdir)  # 10,000 users' resources.json add up over 15 runs
    return result


def read_metadata(path):
    """c7n's own timings: the policy run, its resource query with filters, its actions."""
    try:
        meta = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    metrics = {m['MetricName']: m['Value'] for m in meta.get('metrics', [])}
    return {
        'c7n_duration_s': meta.get('execution', {}).get('duration'),
        'resource_time_s': metrics.get('ResourceTime'),
        'action_time_s': metrics.get('ActionTime'),
        'resource_count': metrics.get('ResourceCount'),
    }


# Summaries

def median_of(runs, field):
    values = [r[field] for r in runs if r.get(field) is not None]
    return statistics.median(values) if values else None


def pct(value, base):
    return (value / base - 1) * 100 if value is not None and base else None


def summarize(runs):
    by_variant = {v: [r for r in runs if r['variant'] == v] for v in VARIANTS}
    variants = {}
    for variant, vruns in by_variant.items():
        walls = [r['wall_s'] for r in vruns]
        call_sets = [r['calls'] for r in vruns]
        variants[variant] = {
            'wall_median_s': statistics.median(walls),
            'wall_min_s': min(walls),
            'wall_max_s': max(walls),
            'cpu_median_s': median_of(vruns, 'cpu_s'),
            'resource_time_median_s': median_of(vruns, 'resource_time_s'),
            'action_time_median_s': median_of(vruns, 'action_time_s'),
            'resource_count': vruns[0].get('resource_count'),
            # Calls are deterministic; say so rather than assume it.
            'calls': call_sets[0],
            'calls_same_every_run': all(c == call_sets[0] for c in call_sets),
            'calls_total': sum(call_sets[0].values()),
        }
    plain = variants['plain']
    for variant in VARIANTS:
        v = variants[variant]
        ops = set(v['calls']) | set(plain['calls'])
        v['calls_vs_plain'] = {op: v['calls'].get(op, 0) - plain['calls'].get(op, 0)
                               for op in sorted(ops)
                               if v['calls'].get(op, 0) != plain['calls'].get(op, 0)}
        v['wall_vs_plain_pct'] = pct(v['wall_median_s'], plain['wall_median_s'])
        v['cpu_vs_plain_pct'] = pct(v['cpu_median_s'], plain['cpu_median_s'])
        # Per interleaved round, against the plain run beside it: less exposed to drift.
        pairs = [pct(r['wall_s'], p['wall_s'])
                 for r, p in zip(by_variant[variant], by_variant['plain'])]
        v['wall_vs_plain_paired_median_pct'] = statistics.median(pairs)

    ours = variants['ours']
    extra = ours['calls_vs_plain']
    action = {op: n for op, n in extra.items() if op in ACTION_CALLS}
    filter_ = {op: n for op, n in extra.items() if op not in ACTION_CALLS}
    matched = ours['resource_count']
    # Attribute to the filter any action-shaped call beyond one ListAccessKeys per matched user.
    surplus = action.get('iam:ListAccessKeys', 0) - (matched or 0)
    if surplus > 0:
        filter_['iam:ListAccessKeys (beyond one per matched user)'] = surplus
    filter_calls = sum(filter_.values())
    split = {
        'filter': filter_,
        'filter_total': filter_calls,
        'support': {op: n for op, n in extra.items() if op.startswith('support:')},
        'action': action,
        'matched_users': matched,
    }
    targets = [
        {'target': f'filter adds <= {FILTER_MAX_CALLS} calls',
         'measured': f'{filter_calls:+d}', 'pass': filter_calls <= FILTER_MAX_CALLS},
        {'target': f'ours wall time <= plain + {WALL_MAX_PCT:g}%',
         'measured': f"{ours['wall_vs_plain_pct']:+.1f}%",
         'pass': ours['wall_vs_plain_pct'] <= WALL_MAX_PCT},
    ]
    return {'variants': variants, 'ours_vs_plain': split, 'targets': targets}


# Report

def print_report(report):
    env = report['environment']
    settings = report['settings']
    print()
    print(f"runs: {settings['runs']} of each variant, interleaved plain/ours/core, order "
          "reversed every other round; the local AWS is reset and seeded before every run "
          "(not timed)")
    for size in report['sizes']:
        summary = size['summary']
        variants = summary['variants']
        print()
        print(f"== {size['users']:,} users, {size['flagged']} flagged ==")
        print(f"{'variant':<8}{'wall median':>12}{'min..max':>17}{'vs plain':>10}"
              f"{'paired':>9}{'cpu median':>12}{'vs plain':>10}"
              f"{'c7n resource':>14}{'c7n action':>12}{'AWS calls':>11}")
        for name in VARIANTS:
            v = variants[name]
            vs = '' if name == 'plain' else f"{v['wall_vs_plain_pct']:+.1f}%"
            paired = '' if name == 'plain' else f"{v['wall_vs_plain_paired_median_pct']:+.1f}%"
            cpu_vs = '' if name == 'plain' else f"{v['cpu_vs_plain_pct']:+.1f}%"
            print(f"{name:<8}{v['wall_median_s']:>10.2f} s"
                  f"{v['wall_min_s']:>8.2f}..{v['wall_max_s']:<7.2f}{vs:>10}{paired:>9}"
                  f"{fmt_s(v['cpu_median_s']):>12}{cpu_vs:>10}"
                  f"{fmt_s(v['resource_time_median_s']):>14}{fmt_s(v['action_time_median_s']):>12}"
                  f"{v['calls_total']:>11,}")
        print("  wall: the custodian subprocess, start to exit; paired: median over rounds of each "
              "run against the plain run of its round;\n  cpu: user+system CPU of the custodian "
              "process (the local AWS server's is not in it); c7n resource: query and filters, "
              "c7n action: actions, both from metadata.json")
        print()
        ops = sorted(set().union(*(variants[n]['calls'] for n in VARIANTS)))
        width = max(len(op) for op in ops) + 2
        print(f"{'calls by operation':<{width}}{'plain':>8}{'ours (vs plain)':>20}"
              f"{'core (vs plain)':>20}")
        for op in ops:
            cells = [f"{variants['plain']['calls'].get(op, 0):>8,}"]
            for name in ('ours', 'core'):
                n = variants[name]['calls'].get(op, 0)
                delta = n - variants['plain']['calls'].get(op, 0)
                cells.append(f"{f'{n:,} ({delta:+,})':>20}")
            print(f"{op:<{width}}{''.join(cells)}")
        for name in VARIANTS:
            if not variants[name]['calls_same_every_run']:
                print(f"  note: {name}'s calls differed between runs; the first run's are shown")
        split = summary['ours_vs_plain']
        print()
        print(f"ours - plain: filter {split['filter_total']:+d} "
              f"({fmt_ops(split['filter'])}); action "
              f"{sum(split['action'].values()):+d} ({fmt_ops(split['action'])}) "
              f"for {split['matched_users']} matched users")
        print("targets:")
        for target in summary['targets']:
            print_target(target)

    startup = report['startup']
    print()
    print(f"== start-up cost of {PTH} on `python -c pass` ==")
    if 'skipped' in startup:
        print(f"skipped: {startup['skipped']}")
    else:
        print(f"method: {startup['method']}")
        print(f"{startup['batches']} batches x {startup['runs_per_batch']} starts "
              "per configuration")
        for measure, label in (('wall', 'wall'), ('cpu', 'cpu ')):
            m = startup[measure]
            print(f"{label}: with hook {m['with_median_ms']:.2f} ms, without "
                  f"{m['without_median_ms']:.2f} ms per start (medians of batch medians); "
                  f"difference {m['difference_median_ms']:+.3f} ms "
                  "(interquartile {:+.2f}..{:+.2f})".format(*m['difference_iqr_ms']))
        it = startup['importtime']
        if 'self_us_median' in it:
            print(f"-X importtime {PACKAGE}: self {it['self_us_median']:.0f} us, "
                  f"cumulative {it['cumulative_us_median']:.0f} us (median of {it['runs']}; "
                  "the import only, not site.py reading the .pth)")
        else:
            print(f"-X importtime: {it['note']}")
        counted = startup['instructions']
        if 'difference' in counted:
            print(f"callgrind: with hook {counted['with_median']:,.0f}, without "
                  f"{counted['without_median']:,.0f} instructions (median of {counted['runs']}); "
                  f"{counted['difference']:+,.0f}, about {counted['estimated_ms']:+.3f} ms")
        else:
            print(f"callgrind: {counted['note']}")
        print("targets:")
        for target in startup['targets']:
            print_target(target)
    print()
    print_sizes(report['archive'])
    print()
    print(f"all targets: {'PASS' if report['all_targets_pass'] else 'FAIL'}")
    print(f"load average at start {env['loadavg_start']}, at end {env['loadavg_end']}; "
          f"total {report['total_seconds'] / 60:.1f} min")


def print_target(target):
    print(f"  {'PASS' if target['pass'] else 'FAIL'}  {target['target']}: {target['measured']}")


def fmt_s(value):
    return '-' if value is None else f'{value:.2f} s'


def fmt_ops(ops):
    return ', '.join(f'{op} {n:+,}' for op, n in ops.items()) or 'none'


if __name__ == '__main__':
    sys.exit(main())
