"""Start a command and report the peak RSS of its process tree.

    python -m scripts.benchmark.launcher RSS_FILE CWD COMMAND...

Linux carries a process's peak RSS across fork and exec, so a command forked
from the (large) benchmark process would report at least that process's
size. This small process starts the command instead, in CWD, waits for it
with wait4 (the child and the children it waited for), writes the peak RSS
in KiB to RSS_FILE and exits with the command's status.
"""

from __future__ import annotations

import os
import subprocess
import sys


def main(argv: list[str]) -> int:
    """Run the command, write its tree's peak RSS; return its exit status."""
    rss_file, cwd, *command = argv
    process = subprocess.Popen(command, cwd=cwd)
    _, status, usage = os.wait4(process.pid, 0)
    with open(rss_file, "w") as out:
        out.write(str(usage.ru_maxrss))
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
