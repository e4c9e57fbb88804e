# SPDX-License-Identifier: MIT
# t/lib-rtc.sh — sourced by the WebRTC tests (t/sh/70x), BEFORE t/lib.sh:
#
#   rtc_netns                 re-run this test in a network namespace of its
#                             own (unshare -n; skipped without root), so
#                             addresses and interfaces are the test's alone.
# and after t/lib.sh:
#   rtc_veth                  lo up, a veth pair rtc0/rtc1 with 192.0.2.1/24
#                             and 192.0.2.2/24 (TEST-NET-1): libnice gathers
#                             no candidate on lo alone.
#   rtc_fifos                 the two FIFOs $T/o2a and $T/a2o the peers
#                             exchange their offer and answer through.
#   rtc_offer ARG… / rtc_answer ARG…   rtc-peer as offerer ("off") or
#                             answerer ("ans") on those FIFOs; pids in
#                             rtc_off_pid / rtc_ans_pid, stdout in
#                             $T/off.out and $T/ans.out.
#   rtc_wait_open SECONDS     both peers said "open".
#   rtc_ms                    milliseconds since the epoch.
#   rtc_stun IP               coturn as a plain STUN server on IP:3478 (this
#                             namespace is the test's: a fixed port clashes
#                             with nobody); needs t/lib-turn.sh.
# shellcheck disable=SC2034
RTC_PEER=$PW_HELPERS/rtc-peer

rtc_netns() {
	[ -n "${PW_RTC_NETNS:-}" ] && return 0
	if [ "$(id -u)" -ne 0 ] || ! unshare -n true 2>/dev/null; then
		printf '# SKIP: a network namespace needs root\n'
		exit 0
	fi
	PW_RTC_NETNS=1 exec unshare -n sh "$0"
}

rtc_veth() {
	if ! { ip link set lo up &&
		ip link add rtc0 type veth peer name rtc1 &&
		ip addr add 192.0.2.1/24 dev rtc0 &&
		ip addr add 192.0.2.2/24 dev rtc1 &&
		ip link set rtc0 up &&
		ip link set rtc1 up; }; then
		fail "veth setup"
	fi
}

rtc_fifos() {
	rm -f "$T/o2a" "$T/a2o"
	mkfifo "$T/o2a" "$T/a2o" || fail "mkfifo"
}

rtc_offer() {
	pw_start_bg off "$RTC_PEER" --offer --in "$T/a2o" --out "$T/o2a" "$@"
	# shellcheck disable=SC2154 # pw_pid comes from t/lib.sh
	rtc_off_pid=$pw_pid
}

rtc_answer() {
	pw_start_bg ans "$RTC_PEER" --answer --in "$T/o2a" --out "$T/a2o" "$@"
	# shellcheck disable=SC2154 # pw_pid comes from t/lib.sh
	rtc_ans_pid=$pw_pid
}

rtc_wait_open() {
	python3 "$PW_PY/wait-for.py" --re "$T/off.out" '^open ' "$1" || fail "offerer never opened"
	python3 "$PW_PY/wait-for.py" --re "$T/ans.out" '^open ' "$1" || fail "answerer never opened"
}

rtc_ms() {
	echo $(($(date +%s%N) / 1000000))
}

rtc_stun() {
	rm -f "$T/turn.fifo"
	mkfifo "$T/turn.fifo" || fail "mkfifo"
	turnserver -n -v --log-file stdout --simple-log --no-cli --no-dtls --no-tls --stun-only \
		--listening-ip "$1" --listening-port 3478 --pidfile "$T/turn.pid" >"$T/turn.fifo" 2>&1 &
	pw_track "$!"
	exec 4<"$T/turn.fifo"
	# shellcheck disable=SC2154 # TURN_READ_LOG comes from t/lib-turn.sh
	timeout "$PW_READY_TIMEOUT" sh -c "$TURN_READ_LOG" sh "$T/turn.log" 1 - <&4 ||
		fail "coturn did not start: $(tail -n 5 "$T/turn.log")"
	cat <&4 >>"$T/turn.log" &
	pw_track "$!"
	exec 4<&-
}
