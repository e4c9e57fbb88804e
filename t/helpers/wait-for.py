# SPDX-License-Identifier: MIT
# wait-for.py [--re] FILE TEXT SECONDS — exit 0 once FILE contains TEXT (with
# --re: once a line of FILE matches the regular expression TEXT), 1 after
# SECONDS; FILE may not exist yet. A bounded poll, every 20 ms.
import re, sys, time
args = sys.argv[1:]
regex = args[0] == "--re"
if regex:
    args = args[1:]
path, text, end = args[0], args[1], time.monotonic() + float(args[2])

def found():
    if regex:
        with open(path, errors="replace") as f:
            return any(re.search(text, l) for l in f)
    with open(path, "rb") as f:
        return text.encode() in f.read()

while time.monotonic() < end:
    try:
        if found():
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.02)
sys.exit(1)
