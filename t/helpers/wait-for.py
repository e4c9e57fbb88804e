# SPDX-License-Identifier: MIT
# wait-for.py FILE TEXT SECONDS — exit 0 once FILE contains TEXT, 1 after
# SECONDS; FILE may not exist yet.
import os, sys, time
path, text, end = sys.argv[1], sys.argv[2].encode(), time.monotonic() + float(sys.argv[3])
while time.monotonic() < end:
    try:
        if text in open(path, "rb").read():
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.02)
sys.exit(1)
