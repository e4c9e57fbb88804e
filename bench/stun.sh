#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/stun.sh — stun-prober against coturn on loopback: Binding probes
# per second with -c 64 over PW_BENCH_STUN_PROBES (2000) servers (the
# coturn addresses repeated), against the same count of
# turnutils_stunclient runs (one process and one socket each), in the
# same run. Best of PW_BENCH_RUNS (3). Needs PW_BIN and PW_HELPERS.
# Prints figures and the goal (>= 10x the baseline); exits 0 unless a
# measurement failed.
cd "$(dirname "$0")/.." || exit 101
PW_TOP=$PWD
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-turn.sh"

N=${PW_BENCH_STUN_PROBES:-2000}
RUNS=${PW_BENCH_RUNS:-3}
command -v turnutils_stunclient >/dev/null || fail "coturn not installed (scripts/install-deps)"

turn_start --no-stdout-log
P=$turn_port
i=0
while [ "$i" -lt "$N" ]; do
	printf 'stun:127.0.0.%d:%s\n' $((i % 2 + 1)) "$P"
	i=$((i + 1))
done >"$T/list"

# best SECONDS of RUNS runs of "$@" (stdin from $T/list); the last run's
# stdout in $T/best.out.
timed() {
	python3 - "$RUNS" "$T/list" "$T/best.out" "$@" <<'PY'
import subprocess, sys, time
runs, lst, out, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
best = None
for _ in range(runs):
    with open(lst, "rb") as f, open(out, "wb") as o:
        t0 = time.monotonic()
        rc = subprocess.call(cmd, stdin=f, stdout=o)
        dt = time.monotonic() - t0
    if rc != 0:
        sys.exit("%s exited with %d" % (cmd[0], rc))
    best = dt if best is None else min(best, dt)
print("%f" % best)
PY
}

echo "bench: $N STUN Binding probes against coturn on loopback, best of $RUNS," \
	"$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-44s %12s %12s %8s\n' "" "probes/s" "seconds" "ok"

s_prober=$(timed "$PW_BIN/stun-prober" -q -c 64 -t 3000) || fail "stun-prober run failed"
ok_prober=$(awk -F'\t' '$2 == "ok"' "$T/best.out" | wc -l)
r_prober=$(awk -v n="$N" -v t="$s_prober" 'BEGIN { printf "%.0f", n / t }')
printf '%-44s %12s %12.3f %8s\n' "stun-prober -c 64 (one process, one socket)" "$r_prober" "$s_prober" "$ok_prober"

# The baseline: one turnutils_stunclient process per probe, sequentially.
cat >"$T/many.sh" <<EOF2
while IFS= read -r l; do
	h=\${l#stun:}
	turnutils_stunclient -p "\${h##*:}" "\${h%:*}" | grep -q 'UDP reflexive addr' && echo ok
done
EOF2
s_base=$(timed sh "$T/many.sh") || fail "turnutils_stunclient runs failed"
ok_base=$(grep -c '^ok$' "$T/best.out")
r_base=$(awk -v n="$N" -v t="$s_base" 'BEGIN { printf "%.0f", n / t }')
printf '%-44s %12s %12.3f %8s\n' "turnutils_stunclient x $N (a process each)" "$r_base" "$s_base" "$ok_base"

ratio=$(awk -v a="$r_prober" -v b="$r_base" 'BEGIN { printf "%.1f", a / b }')
verdict=$(awk -v r="$ratio" 'BEGIN { print (r >= 10 ? "met" : "NOT met") }')
printf '%-44s %12sx  goal >= 10x %s\n' "stun-prober / turnutils_stunclient" "$ratio" "$verdict"
[ "$ok_prober" -eq "$N" ] || note "stun-prober: only $ok_prober of $N probes ok"
exit 0
