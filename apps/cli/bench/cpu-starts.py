#!/usr/bin/env python3
"""CPU time of cold starts, for cli.bench.ts (Node's child_process reports no rusage).

Usage: python3 bench/cpu-starts.py RUNS CWD '[["name", ["/path/cmd", "arg"]], ...]'
Each command's user + system CPU time comes from wait4's rusage of the child (all its threads);
runs are interleaved round-robin, so load from other work falls on every command alike. The
environment is passed on as given. Prints one JSON line: [[name, median ms, min ms], ...].
"""
import json
import os
import statistics
import sys

runs = int(sys.argv[1])
cwd = sys.argv[2]
cmds = json.loads(sys.argv[3])
devnull = os.open(os.devnull, os.O_RDWR)


def cpu_ms(argv):
    pid = os.fork()
    if pid == 0:
        try:
            os.chdir(cwd)
            for fd in (0, 1, 2):
                os.dup2(devnull, fd)
            os.execv(argv[0], argv)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv)} exited {os.waitstatus_to_exitcode(status)}")
    return (usage.ru_utime + usage.ru_stime) * 1000


for _, argv in cmds:
    cpu_ms(argv)  # warm the page cache
times = [[] for _ in cmds]
for _ in range(runs):
    for j, (_, argv) in enumerate(cmds):
        times[j].append(cpu_ms(argv))
print(json.dumps([[name, statistics.median(times[j]), min(times[j])] for j, (name, _) in enumerate(cmds)]))
