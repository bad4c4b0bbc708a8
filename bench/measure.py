"""Timing helpers shared by the benchmark's parts."""
import resource
import sys
import time


def timed(function, *args, **kwargs):
    """Call `function`, which runs and waits for one subprocess: its result, its wall time,
    and the child's user+system CPU time (from the kernel, so other work on the machine
    disturbs it less than the wall time)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    begin = time.perf_counter()
    result = function(*args, **kwargs)
    wall = time.perf_counter() - begin
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return result, wall, cpu


def progress(line):
    print(line, file=sys.stderr, flush=True)
