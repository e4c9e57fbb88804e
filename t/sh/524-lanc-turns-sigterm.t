#!/bin/sh
# SPDX-License-Identifier: MIT
# lanturn-client over TURNS end to end, with refreshes and SIGTERM: the
# fleet's one server answers nothing on UDP (a silent socket) and has
# coturn's TLS listener after it; coturn runs short lifetimes
# (allocation 6 s, permission 5 s, channel 7 s). The call goes up over
# TLS after the 1.5 s wait and a 3 MB download (read at 0.4 MB/s) through it is
# sha256-exact. Then SIGTERM to lanturn-client under traffic: it
# releases the allocation and exits 0; socks-client starts a new carrier
# and the next download completes. The first call was refreshed
# (allocation, permission, channel) at least twice, and coturn logged
# those refreshes and the final LIFETIME 0.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-turn.sh"
. "$PW_TOP/t/lib-lanturn.sh"
. "$PW_TOP/t/lib-lanclient.sh"

lanturn_up 3000000
TURN_TLS=1 lanc_turn a --max-allocate-lifetime=6 --permission-lifetime=5 --channel-lifetime=7
tls_port=$turn_tls_port
pw_start silent 1 python3 -c '
import signal, socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print("ready udp:127.0.0.1:%d" % s.getsockname()[1], flush=True)
signal.pause()'
silent=${pw_ep##*:}
lanc_cred "turn:127.0.0.1:$silent" >"$T/cred"
lanc_client client bulk "turn:127.0.0.1:$silent" "turns:127.0.0.1:$tls_port" -- \
	--ca "$T/turn-cert.pem" --permission-lifetime 5 --channel-lifetime 7
lanc_paced dl big.bin 0.4
lanc_paced_check dl big.bin
grep -q "call 1 up through turns:127.0.0.1:$tls_port (UDP fell back)" "$T/client.err" ||
	fail "the call did not go over TLS: $(grep lanturn-client "$T/client.err")"
grep -i "lifetime|refresh" "$T/a/turn.log" | head -5 >&2; note "over TLS: 3 MB sha256-exact"

# SIGTERM under traffic, to the lanturn-client that socks-client started
# (its child, or the child of its sh -c).
lanc_paced dl2 big.bin 0.4
python3 "$PW_PY/wait-for.py" "$T/dl2.out" mark 30 || fail "the second download did not start"
kids=$(ps -o pid= --ppid "$client_pid" | tr -s ' \n' '  ' | sed 's/^ *//; s/ *$//')
# By argv[0] (its comm may be "exe" when it re-executes itself on Firefox's NSS).
lc=$(ps -o pid= -o args= -p "$client_pid $kids" --ppid "$client_pid $kids" 2>/dev/null |
	awk '$2 ~ /\/lanturn-client$/ { print $1 }' | sort -u)
[ -n "$lc" ] || fail "no lanturn-client under socks-client $client_pid: $(ps -o pid= -o args= --ppid "$client_pid")"
kill -TERM "$lc"
python3 "$PW_PY/wait-for.py" "$T/client.err" "lanturn-client: done: signal" 10 || fail "no clean exit on SIGTERM"
lanc_paced_check dl2 big.bin
note "SIGTERM: released, exit clean; the next carrier finished the download"
grep -q 'carrier exited with status [^0]' "$T/client.err" && fail "lanturn-client exited non-zero"
# The first call's refreshes (lanturn-client's count) and what coturn saw,
# its log complete once it has exited.
rel=$(grep 'call 1 released' "$T/client.err") || fail "call 1 not released"
note "$rel"
printf '%s\n' "$rel" | awk '{ gsub(/[,)]/, ""); for (i = 1; i < NF; i++) v[$i] = $(i + 1)
	exit !(v["refreshes"] >= 2 && v["permission"] >= 2 && v["channel"] >= 2) }' ||
	fail "call 1 was not refreshed enough: $rel"
pw_stop client
kill -TERM "$turn_pid"
pw_wait "$turn_pid" 10 2>/dev/null
nref=$(grep -c 'refreshed, realm=<pipeworks.test>, username=<[0-9]*:lanc>, lifetime=6,' "$T/a/turn.log")
[ "$nref" -ge 1 ] || fail "coturn logged $nref allocation refreshes"
grep -q 'refreshed, realm=<pipeworks.test>, username=<[0-9]*:lanc>, lifetime=0,' "$T/a/turn.log" ||
	fail "coturn saw no Refresh with LIFETIME 0"
note "coturn: $nref refreshes, and the allocation released"
grep -q Sanitizer "$T/client.err" && fail "sanitizer"
exit 0
