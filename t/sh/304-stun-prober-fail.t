#!/bin/sh
# SPDX-License-Identifier: MIT
# stun-prober failure paths: nothing listening (UDP: ICMP port
# unreachable, refused; TCP: connection refused), a server answering
# garbage, a wrong transaction id, a bad MESSAGE-INTEGRITY, a truncated
# answer, an answer from another port (all dropped: timeout, with the
# drop named in the reason), an error response, silence, a bad URI; and
# SIGTERM in the middle.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-turn.sh"

echo sekret >"$T/pass"
dead=$(turn_free_port)
probe() {
	"$PW_BIN/stun-prober" -t 1200 "$@" 2>>"$T/prober.err"
}
ep_ok='' ep_garbage='' ep_wrong_tid='' ep_truncated='' ep_silent='' ep_error='' ep_bad_integrity=''
ep_other_source=''
for m in ok garbage wrong-tid bad-integrity truncated silent error other-source; do
	v=$(echo "$m" | tr - _)
	pw_start "fake_$v" 1 python3 "$PW_PY/stun-fake-udp.py" "$m" sekret
	eval "ep_$v=\${pw_ep#udp:}"
done
probe "stun:$ep_ok" "stun:$ep_garbage" "stun:$ep_wrong_tid" "stun:$ep_truncated" \
	"stun:$ep_silent" "stun:$ep_error" "stun:127.0.0.1:$dead" \
	"turn:127.0.0.1:$dead?transport=tcp" "stun:bad uri" "stun:$ep_other_source" >"$T/out"
rc=$?
cat "$T/out"
[ "$rc" -eq 0 ] || fail "one server ok: want exit 0, got $rc"
[ "$(wc -l <"$T/out")" -eq 10 ] || fail "want 10 lines"
want() {
	_l=$(grep -F "$1	" "$T/out") || fail "no line for $1"
	[ "$(printf '%s' "$_l" | cut -f2)" = "$2" ] || fail "$1: status $(printf '%s' "$_l" | cut -f2), want $2"
	printf '%s' "$_l" | cut -f8 | grep -q -- "$3" || fail "$1: reason '$(printf '%s' "$_l" | cut -f8)', want $3"
	note "$1: $2 ($(printf '%s' "$_l" | cut -f8))"
}
want "stun:$ep_ok" ok '^-$'
grep -F "stun:$ep_ok	" "$T/out" | cut -f7 | grep -qx 'fake?server?' || fail "SOFTWARE not sanitized"
want "stun:$ep_garbage" timeout 'malformed'
want "stun:$ep_wrong_tid" timeout 'wrong transaction id'
want "stun:$ep_truncated" timeout 'malformed'
want "stun:$ep_silent" timeout '^-$'
want "stun:$ep_error" error '400 Bad Request'
want "stun:127.0.0.1:$dead" refused refused
want "turn:127.0.0.1:$dead?transport=tcp" refused refused
want "stun:bad uri" error 'bad URI'
want "stun:$ep_other_source" timeout 'wrong address'

# Short-term credentials: a bad MESSAGE-INTEGRITY is dropped, never accepted.
probe --username u --password-file "$T/pass" "stun:$ep_bad_integrity" >"$T/mi"
[ $? -eq 111 ] || fail "bad integrity: want 111"
cat "$T/mi"
want2() {
	[ "$(cut -f2 "$1")" = "$2" ] || fail "$1: $(cat "$1")"
	cut -f8 "$1" | grep -q "$3" || fail "$1: $(cat "$1")"
}
want2 "$T/mi" timeout 'bad integrity'

# SIGTERM while probes wait: a clean exit, no output for unfinished probes.
pw_start_bg sig "$PW_BIN/stun-prober" -t 30000 "stun:$ep_silent" "stun:$ep_ok"
sp=$pw_pid
# shellcheck disable=SC2016 # expanded by the child sh
timeout 10 sh -c 'until grep -q ok "$1"; do :; done' sh "$T/sig.out" || fail "no ok line before SIGTERM"
kill -TERM "$sp"
pw_wait "$sp" 10
[ "$pw_rc" = 0 ] || fail "SIGTERM: exit $pw_rc"
[ "$(wc -l <"$T/sig.out")" -eq 1 ] || fail "SIGTERM: $(cat "$T/sig.out")"
grep -q Sanitizer "$T/prober.err" "$T/sig.err" && fail "sanitizer report"
exit 0
