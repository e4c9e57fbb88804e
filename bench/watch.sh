#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/watch.sh — peerconn-watch: events per second replayed from a
# file of PW_BENCH_EVENTS (1000000) egress event lines on one core, and
# peak memory with the bucket table full (every accept/close pair comes
# from a new source, so the cap is reached early and eviction runs on
# every new pair). Best of PW_BENCH_RUNS (3). Needs PW_BIN.
# Prints figures and the goal (>= 500000 events/s); exits 0 unless a
# measurement failed.
set -u
: "${PW_BIN:?PW_BIN must name the program directory}"
EVENTS=${PW_BENCH_EVENTS:-1000000}
RUNS=${PW_BENCH_RUNS:-3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pw-bench-watch.XXXXXX") || exit 101
trap 'rm -rf "$tmp"' EXIT

python3 - "$EVENTS" "$tmp/events.jsonl" <<'PY' || exit 101
import random, sys
n, path = int(sys.argv[1]), sys.argv[2]
rnd = random.Random(1)
t = 1700000000.0
with open(path, "w") as f:
    for i in range(n // 2):
        t += 0.001
        src = "10.%d.%d.%d:%d" % (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256),
                                  rnd.randrange(1024, 65536))
        dst = "host%d.example.com:%d" % (rnd.randrange(5000), rnd.choice((80, 443, 443, 53, 25)))
        f.write('{"time":%.6f,"event":"accept","session":null,"source":"%s","destination":"%s"}\n'
                % (t, src, dst))
        f.write('{"time":%.6f,"event":"close","session":null,"source":"%s","destination":"%s",'
                '"bytes_up":%d,"bytes_down":%d,"duration":%.6f,"result":"ok"}\n'
                % (t + 0.0005, src, dst, rnd.randrange(100000), rnd.randrange(10000000),
                   rnd.random() * 10))
PY

# run CAP: "seconds maxrss_kB" of the fastest of RUNS replays.
run() {
	python3 - "$PW_BIN/peerconn-watch" "$1" "$tmp/events.jsonl" "$RUNS" <<'PY'
import os, resource, subprocess, sys, time
prog, cap, path, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
best, rss = None, 0
for _ in range(runs):
    with open(path, "rb") as f:
        t0 = time.monotonic()
        p = subprocess.Popen([prog, "-q", "--max-buckets", cap], stdin=f,
                             stdout=subprocess.DEVNULL)
        _, status, ru = os.wait4(p.pid, 0)
        dt = time.monotonic() - t0
    if status != 0:
        sys.exit("peerconn-watch exited with status %d" % status)
    best = dt if best is None else min(best, dt)
    rss = max(rss, ru.ru_maxrss)
print("%f %d" % (best, rss))
PY
}

echo "bench: peerconn-watch replaying $EVENTS event lines ($(wc -c <"$tmp/events.jsonl") bytes)," \
	"best of $RUNS, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-40s %12s %12s %14s\n' "" "events/s" "seconds" "peak RSS kB"
rate=0
for cap in 16384 100000; do
	out=$(run "$cap") || exit 1
	secs=${out% *}
	rss=${out#* }
	r=$(awk -v n="$EVENTS" -v t="$secs" 'BEGIN { printf "%.0f", n / t }')
	[ "$cap" -eq 16384 ] && rate=$r
	printf '%-40s %12s %12.3f %14s\n' "--max-buckets $cap (table full)" "$r" "$secs" "$rss"
done
if [ "$rate" -ge 500000 ]; then
	verdict=met
else
	verdict="NOT met"
fi
printf '%-40s %12s   goal >= 500000 %s\n' "events/s at the default cap" "$rate" "$verdict"
