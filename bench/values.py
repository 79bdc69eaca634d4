#!/usr/bin/python3
"""Large values (issue 16): SET and GET of 1 KB to 1 MB strings, kevy beside
Redis, with the server's CPU time per request. A shortcut for
`bench.py --workloads values --rounds 3`, which does the work (see "Large
values" in bench/README.md); any bench.py flag works here, later flags win,
and --sizes is bench.py's --value-sizes. Usage:
  values.py [--sizes 1024,10240,102400,1048576] [--rounds 3] [--seconds 2]
            [--mode percore|machine|both] [--json FILE] [bench.py flags]"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402


def main():
    argv = []
    for a in sys.argv[1:]:
        if a == "--sizes" or a.startswith("--sizes="):
            a = "--value-sizes" + a[len("--sizes"):]
        argv.append(a)
    sys.argv[1:] = ["--workloads", "values", "--rounds", "3"] + argv
    return bench.main()


if __name__ == "__main__":
    sys.exit(main())
