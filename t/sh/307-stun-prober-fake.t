#!/bin/sh
# SPDX-License-Identifier: MIT
# stun-prober against stun-fake (t/helpers), over UDP and TCP. Over UDP
# every bad answer (garbage, wrong transaction id, bad MESSAGE-INTEGRITY,
# bad FINGERPRINT, truncated) is dropped and the probe times out naming
# the drop. Over TCP a byte stream that is not STUN, or one cut short, is
# an error (or, for random bytes that look like the start of a long
# frame, a timeout); a well-framed bad message is dropped like over UDP.
. "$PW_TOP/t/lib.sh"

echo sekret >"$T/pass"
for m in ok garbage wrong-tid bad-integrity bad-fingerprint truncated silent error; do
	v=$(echo "$m" | tr - _)
	pw_start "fake_$v" 2 "$PW_HELPERS/stun-fake" -t -p sekret "$m"
	eval "udp_$v=\${pw_ep#udp:} tcp_$v=\${pw_ep2#tcp:}"
done
# shellcheck disable=SC2154 # set by eval above
set -- "stun:$udp_ok" "stun:$udp_garbage" "stun:$udp_wrong_tid" "stun:$udp_bad_fingerprint" \
	"stun:$udp_truncated" "stun:$udp_silent" "stun:$udp_error" \
	"turn:$tcp_ok?transport=tcp" "turn:$tcp_garbage?transport=tcp" \
	"turn:$tcp_wrong_tid?transport=tcp" "turn:$tcp_bad_fingerprint?transport=tcp" \
	"turn:$tcp_truncated?transport=tcp" "turn:$tcp_silent?transport=tcp" \
	"turn:$tcp_error?transport=tcp"
"$PW_BIN/stun-prober" -t 1200 "$@" >"$T/out" 2>"$T/prober.err"
rc=$?
cat "$T/out"
[ "$rc" -eq 0 ] || fail "exit $rc, want 0"
[ "$(wc -l <"$T/out")" -eq $# ] || fail "want $# lines"
want() {
	_l=$(grep -F "$1	" "$T/out") || fail "no line for $1"
	printf '%s' "$_l" | cut -f2 | grep -Eqx "$2" || fail "$1: $_l; want $2"
	printf '%s' "$_l" | cut -f8 | grep -q -- "$3" || fail "$1: $_l; want $3"
	note "$1: $2 ($(printf '%s' "$_l" | cut -f8))"
}
want "stun:$udp_ok" ok '^-$'
want "stun:$udp_garbage" timeout 'malformed'
want "stun:$udp_wrong_tid" timeout 'wrong transaction id'
want "stun:$udp_bad_fingerprint" timeout 'malformed'
want "stun:$udp_truncated" timeout 'malformed'
want "stun:$udp_silent" timeout '^-$'
want "stun:$udp_error" error '^400'
want "turn:$tcp_ok?transport=tcp" ok '^-$'
# Random bytes may begin like a ChannelData header announcing more bytes
# than come: then the stream waits for them and the probe times out.
want "turn:$tcp_garbage?transport=tcp" 'error|timeout' 'garbage\|^-$'
want "turn:$tcp_wrong_tid?transport=tcp" timeout 'wrong transaction id'
want "turn:$tcp_bad_fingerprint?transport=tcp" timeout 'malformed'
want "turn:$tcp_truncated?transport=tcp" error 'closed by the server'
want "turn:$tcp_silent?transport=tcp" timeout '^-$'
want "turn:$tcp_error?transport=tcp" error '^400'

# Short-term credentials: the right key is accepted, a wrong one dropped.
# shellcheck disable=SC2154 # set by eval above
"$PW_BIN/stun-prober" -t 1200 --username u --password-file "$T/pass" "stun:$udp_ok" \
	"stun:$udp_bad_integrity" "turn:$tcp_bad_integrity?transport=tcp" >"$T/mi" 2>>"$T/prober.err"
cat "$T/mi"
[ "$(grep -c '	timeout	.*bad integrity$' "$T/mi")" -eq 2 ] || fail "bad integrity not dropped"
grep -q "^stun:$udp_ok	ok	" "$T/mi" || fail "good integrity refused"
grep -q Sanitizer "$T/prober.err" && fail "sanitizer: $(cat "$T/prober.err")"
exit 0
