"""bench/run.py runs end to end and counts each variant's calls; timings are not checked."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
USERS, FLAGGED = 20, 2


def test_bench_smoke_run_counts_calls_per_variant(tmp_path):
    out = tmp_path / 'bench.json'
    proc = subprocess.run(
        [sys.executable, str(ROOT / 'bench' / 'run.py'), '--users', str(USERS), '--runs', '1',
         '--flagged', str(FLAGGED), '--json', str(out),
         '--startup-batches', '1', '--startup-runs', '2', '--callgrind-runs', '1'],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert 'PASS' in proc.stdout or 'FAIL' in proc.stdout

    report = json.loads(out.read_text())
    [size] = report['sizes']
    assert size['users'] == USERS and size['flagged'] == FLAGGED
    assert sorted(r['variant'] for r in size['runs']) == ['core', 'ours', 'plain']
    calls = {r['variant']: r['calls'] for r in size['runs']}

    ours = calls['ours']
    assert {op: n for op, n in ours.items() if op.startswith('support:')} == {
        'support:DescribeTrustedAdvisorCheckResult': 1,
        'support:DescribeTrustedAdvisorChecks': 1,
    }
    assert ours['iam:UpdateAccessKey'] == FLAGGED
    assert ours['iam:ListAccessKeys'] == FLAGGED  # one per matched user, not per user
    assert calls['core']['iam:ListAccessKeys'] == USERS
    assert not any(op.startswith('support:') for op in calls['plain'])
    assert 'iam:ListAccessKeys' not in calls['plain']

    split = size['summary']['ours_vs_plain']
    assert split['filter_total'] == 2
    assert split['action'] == {'iam:ListAccessKeys': FLAGGED, 'iam:UpdateAccessKey': FLAGGED}

    archive = report['archive']
    assert archive['plugin_bytes'] == archive['with_bytes'] - archive['without_bytes'] > 0
    assert archive['plugin_files'] == sorted(
        'c7n_exposedkeys/%s' % p.name for p in (ROOT / 'c7n_exposedkeys').glob('*.py'))
    # the plugin's compressed files, their zip headers (local 30 + central 46 bytes, each with
    # the name, so it grows with every module), plus the two mode settings in config.json
    headers = sum(76 + 2 * len(name) for name in archive['plugin_files'])
    assert headers < archive['plugin_bytes'] - archive['plugin_compressed_bytes'] < headers + 512
    assert [t['pass'] for t in archive['targets']] == [True]

    startup = report['startup']
    assert 'skipped' in startup or len(startup['starts']['with']) == 1
    counted = startup.get('instructions', {})
    if 'difference' in counted:  # valgrind present: the plugin's start-up costs instructions
        assert counted['with_median'] > counted['without_median'] > 0
