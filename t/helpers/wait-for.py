# SPDX-License-Identifier: MIT
# wait-for.py [--re] [--from BYTES] FILE TEXT SECONDS — exit 0 once FILE
# contains TEXT (with --re: once a line of FILE matches the regular
# expression TEXT), 1 after SECONDS; with --from, only what FILE holds past
# its first BYTES counts (what was written since a given moment). FILE may
# not exist yet. A bounded poll, every 20 ms.
import re, sys, time
args = sys.argv[1:]
regex, start = False, 0
while args and args[0] in ("--re", "--from"):
    if args[0] == "--re":
        regex, args = True, args[1:]
    else:
        start, args = int(args[1]), args[2:]
path, text, end = args[0], args[1], time.monotonic() + float(args[2])

def found():
    with open(path, "rb") as f:
        f.seek(start)
        data = f.read()
    if regex:
        return any(re.search(text, l) for l in data.decode(errors="replace").splitlines())
    return text.encode() in data

while time.monotonic() < end:
    try:
        if found():
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.02)
sys.exit(1)
