"""Start-up cost of the c7n_exposedkeys.pth hook on a bare `python -c pass`."""
import os
import re
import shutil
import statistics
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

from measure import progress, timed

STARTUP_MAX_MS = 1.0
PTH = 'c7n_exposedkeys.pth'
START = 'c7n_exposedkeys.start'
PACKAGE = 'c7n_exposedkeys'


def startup_cost(tmp, batches, runs, callgrind_runs=3):
    site = Path(sysconfig.get_paths()['purelib'])
    if batches < 1:
        return {'skipped': 'not asked for (--startup-batches 0)'}
    if not (site / PTH).exists():
        return {'skipped': f'{PTH} is not in {site}: install the package with pip to measure it'}
    with_hook = throwaway_venv(tmp / 'venv-with-hook', site, skip=())
    without = throwaway_venv(tmp / 'venv-without-hook', site, skip=(PTH, START))
    hooked = {'with': hook_installed(with_hook), 'without': hook_installed(without)}
    if hooked != {'with': True, 'without': False}:
        return {'skipped': f'the throwaway venvs do not differ as meant: hook installed {hooked}'}

    samples = {'with': [], 'without': []}
    for batch in range(batches):
        batch_samples = time_starts({'with': with_hook, 'without': without}, runs, batch)
        for config in samples:
            samples[config].append(batch_samples[config])
        progress(f"start-up batch {batch + 1}/{batches}: "
                 f"with hook {median_ms(batch_samples['with'], 'wall'):.2f} ms, "
                 f"without {median_ms(batch_samples['without'], 'wall'):.2f} ms")
    importtime = import_time(Path(sys.executable), repeat=max(5, min(20, batches * 2)))
    counted = instructions({'with': with_hook, 'without': without}, callgrind_runs)
    result = {
        'method': ("python -c pass in two throwaway venvs over this venv's site-packages; "
                   f"only one runs {PTH}; starts alternate within each batch"),
        'batches': batches,
        'runs_per_batch': runs,
        'starts': samples,
        'importtime': importtime,
        'instructions': counted,
    }
    for measure in ('wall', 'cpu'):
        per_batch = {c: [median_ms(s, measure) for s in samples[c]] for c in samples}
        differences = [a - b for a, b in zip(per_batch['with'], per_batch['without'])]
        if len(differences) > 1:
            low, _, high = statistics.quantiles(differences, n=4)
        else:
            low = high = differences[0]
        result[measure] = {
            'batch_median_ms': per_batch,
            'with_median_ms': statistics.median(per_batch['with']),
            'without_median_ms': statistics.median(per_batch['without']),
            'difference_per_batch_ms': differences,
            'difference_median_ms': statistics.median(differences),
            'difference_iqr_ms': [low, high],
        }
    diff = result['wall']['difference_median_ms']
    cumulative = importtime.get('cumulative_us_median')
    if 'difference' in counted:
        # Instructions are steady where milliseconds are not; price them at the bare start's rate.
        counted['estimated_ms'] = (counted['difference'] / counted['without_median']
                                   * result['wall']['without_median_ms'])
    estimated = counted.get('estimated_ms')
    result['targets'] = [
        {'target': f'start-up difference < {STARTUP_MAX_MS:g} ms',
         'measured': f'{diff:+.3f} ms', 'pass': diff < STARTUP_MAX_MS},
        {'target': f'callgrind: extra instructions, priced as a bare start, < {STARTUP_MAX_MS:g} ms',
         'measured': counted.get('note') or f'{estimated:+.3f} ms',
         'pass': estimated is not None and estimated < STARTUP_MAX_MS},
        {'target': f'-X importtime cumulative < {STARTUP_MAX_MS:g} ms',
         'measured': 'not found' if cumulative is None else f'{cumulative / 1e3:.3f} ms',
         'pass': cumulative is not None and cumulative / 1e3 < STARTUP_MAX_MS},
    ]
    return result


def median_ms(starts, measure):
    return statistics.median(s[measure] for s in starts) * 1e3


def throwaway_venv(path, site, skip):
    """A venv whose site-packages puts `site` on sys.path, then runs its .pth/.start files
    (bar `skip`) in the same order site.py would: all of them sort after '0'."""
    venv.EnvBuilder(with_pip=False, symlinks=True).create(path)
    inner = Path(subprocess.run(
        [str(path / 'bin' / 'python'), '-c',
         'import sysconfig; print(sysconfig.get_paths()["purelib"])'],
        capture_output=True, text=True, check=True).stdout.strip())
    (inner / '0-bench-outer-site.pth').write_text(f'{site}\n')
    for startup in sorted(site.glob('*.pth')) + sorted(site.glob('*.start')):
        if startup.name not in skip:
            (inner / startup.name).symlink_to(startup)
    return path / 'bin' / 'python'


def hook_installed(python):
    out = subprocess.run(
        [str(python), '-c', 'import sys; print(any(type(f).__name__ == "ImportHook" '
                            'and type(f).__module__ == "c7n_exposedkeys" for f in sys.meta_path))'],
        capture_output=True, text=True, check=True)
    return out.stdout.strip() == 'True'


def time_starts(pythons, runs, batch):
    """`runs` starts of each python, alternating (flipped each batch); wall and CPU seconds."""
    names = sorted(pythons, reverse=bool(batch % 2))
    starts = {name: [] for name in pythons}
    for _ in range(runs):
        for name in names:
            _, wall, cpu = timed(
                subprocess.run, [str(pythons[name]), '-c', 'pass'],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, check=True)
            starts[name].append({'wall': wall, 'cpu': cpu})
    return starts


IMPORTTIME = re.compile(r'import time:\s+(\d+)\s*\|\s*(\d+)\s*\|\s*(.*)$')


def import_time(python, repeat):
    """`-X importtime` self and cumulative microseconds of c7n_exposedkeys, as site imports it."""
    selfs, cumulatives = [], []
    for _ in range(repeat):
        out = subprocess.run([str(python), '-X', 'importtime', '-c', 'pass'],
                             capture_output=True, text=True, check=True)
        for line in out.stderr.splitlines():
            match = IMPORTTIME.match(line)
            if match and match.group(3).strip() == PACKAGE:
                selfs.append(int(match.group(1)))
                cumulatives.append(int(match.group(2)))
    if not selfs:
        return {'runs': repeat, 'note': f'{PACKAGE} not in -X importtime output'}
    return {'runs': repeat, 'self_us': selfs, 'cumulative_us': cumulatives,
            'self_us_median': statistics.median(selfs),
            'cumulative_us_median': statistics.median(cumulatives)}


def instructions(pythons, runs=3):
    """Instructions each python executes for `-c pass`, counted by valgrind's callgrind:
    unlike time, the same for the same binary and inputs whatever else the machine does."""
    if not shutil.which('valgrind'):
        return {'note': 'valgrind is not installed (apt-get install valgrind)'}
    env = dict(os.environ, PYTHONHASHSEED='0')
    counts = {name: [] for name in pythons}
    for _ in range(runs):
        for name, python in pythons.items():
            out = subprocess.run(
                ['valgrind', '--tool=callgrind', '--callgrind-out-file=/dev/null',
                 str(python), '-c', 'pass'], capture_output=True, text=True, check=True, env=env)
            counts[name].append(int(re.search(r'Collected : (\d+)', out.stderr).group(1)))
    medians = {name: statistics.median(c) for name, c in counts.items()}
    return {'runs': runs, 'counts': counts, 'with_median': medians['with'],
            'without_median': medians['without'],
            'difference': medians['with'] - medians['without']}
