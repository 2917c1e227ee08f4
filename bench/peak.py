"""`python -m bench.peak MODULE ARGS…`: run MODULE as `python -m MODULE ARGS…` would, and write this process's own
peak resident memory to stderr as it exits. A parent cannot read a child's peak from os.wait4: subprocess starts
the child by vfork, and Linux counts the address space the child ran in until exec, the parent's, into the
child's ru_maxrss, so every job read at least the benchmark process's own peak."""

import atexit
import re
import runpy
import sys
from pathlib import Path

PREFIX = "peak RSS of the process, kB: "


def peak_rss_mb(pid: int | str = "self") -> float:
    """The process's high-water mark of resident memory (VmHWM)."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


def reported_peak_mb(stderr: str) -> float:
    """The peak that a process run by this module wrote as its last words."""
    return int(re.findall(rf"^{PREFIX}(\d+)$", stderr, re.MULTILINE)[-1]) / 1024


def main() -> None:
    module, *arguments = sys.argv[1:]
    sys.argv = [module, *arguments]
    atexit.register(lambda: print(f"{PREFIX}{round(peak_rss_mb() * 1024)}", file=sys.stderr, flush=True))
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
