#!/bin/sh
# SPDX-License-Identifier: MIT
# stun-prober over TLS (turns:, stuns:) against coturn with a self-signed
# certificate for 127.0.0.1: Binding and a TURN allocation when the
# certificate is trusted with --ca; without it the handshake fails and the
# reason says why (status error, exit 111).
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-turn.sh"

command -v openssl >/dev/null || fail "openssl not installed"
TURN_TLS=1
turn_start
tp=$turn_tls_port
"$PW_BIN/stun-prober" --ca "$T/turn-cert.pem" "turns:127.0.0.1:$tp" "stuns:127.0.0.1:$tp" \
	>"$T/out" 2>"$T/prober.err" || fail "exit $?: $(cat "$T/out" "$T/prober.err")"
cat "$T/out"
awk -F'\t' 'NF != 8 || $2 != "ok" || $5 != "127.0.0.1:'"$tp"'" { exit 1 }' "$T/out" ||
	fail "not ok over TLS"
"$PW_BIN/stun-prober" --ca "$T/turn-cert.pem" --turn --secret-file "$T/turn.secret" \
	"turns:127.0.0.1:$tp" >"$T/turn" 2>>"$T/prober.err" || fail "--turn over TLS: exit $?"
cat "$T/turn"
awk -F'\t' '$2 != "ok" || $9 !~ /^127\.0\.0\.1:/ { exit 1 }' "$T/turn" || fail "no allocation over TLS"

# Not trusted: a clean error naming the certificate problem.
"$PW_BIN/stun-prober" "turns:127.0.0.1:$tp" >"$T/bad" 2>>"$T/prober.err"
rc=$?
cat "$T/bad"
[ "$rc" -eq 111 ] || fail "untrusted certificate: exit $rc, want 111"
[ "$(cut -f2 "$T/bad")" = error ] || fail "untrusted certificate: $(cat "$T/bad")"
cut -f8 "$T/bad" | grep -qi 'certificate\|verif\|CA' || fail "reason does not name the certificate"
grep -q Sanitizer "$T/prober.err" && fail "sanitizer: $(cat "$T/prober.err")"
exit 0
