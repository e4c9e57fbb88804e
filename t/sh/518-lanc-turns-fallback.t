#!/bin/sh
# SPDX-License-Identifier: MIT
# TURNS fallback of the TURN half: coturn's TLS listener behind a turn:
# URI where UDP is blocked. A silent UDP port (datagrams dropped): the
# path moves to TLS after the 1.5 s wait and carries the echoes (RFC 8656
# §12.4 framing, relay still UDP); the next path on that endpoint goes
# to TLS at once. A refused UDP port (ICMP): TLS without waiting. A
# refusal of the credentials over UDP is final: no TLS attempt. Without
# --ca the self-signed certificate fails the TLS path.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-turn.sh"
. "$PW_TOP/t/lib-lanclient.sh"

TURN_TLS=1 lanc_turn a
a_port=$turn_port a_tls_port=$turn_tls_port
turn_peer_start
pw_start silent 1 python3 -c '
import signal, socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print("ready udp:127.0.0.1:%d" % s.getsockname()[1], flush=True)
signal.pause()'
silent=${pw_ep##*:}
refused=$(lanc_free_udp)
tls=turns:127.0.0.1:$a_tls_port
{
	lanc_cred "turn:127.0.0.1:$silent"
	lanc_cred "turn:127.0.0.1:$refused"
	lanc_cred "turn:127.0.0.1:$a_port"
} >"$T/cred"
path() {
	_out=$1
	shift
	"$PW_HELPERS/turn-path" -v --credentials-file "$T/cred" --peer "127.0.0.1:$peer_port" "$@" \
		>"$T/$_out.out" 2>"$T/$_out.err" &
	hp=$!
	pw_track "$hp"
	pw_wait "$hp" 40
	cat "$T/$_out.out"
	grep -q Sanitizer "$T/$_out.err" && fail "$_out: sanitizer: $(cat "$T/$_out.err")"
}

path silent --turn "turn:127.0.0.1:$silent" --turn "$tls" --ca "$T/turn-cert.pem" --paths 2 -d 2
[ "$pw_rc" = 0 ] || fail "silent UDP: exit $pw_rc: $(cat "$T/silent.err")"
ms=$(sed -n 's/^ready 1 turns:127.0.0.1:[0-9]* tls=1 fell_back=1 ms=\([0-9]*\)$/\1/p' "$T/silent.out")
[ -n "$ms" ] || fail "silent UDP: the first path did not fall back to TLS"
if [ "$ms" -lt 1500 ] || [ "$ms" -ge 6000 ]; then
	fail "silent UDP: TLS after $ms ms, want 1.5 s and a handshake"
fi
ms2=$(sed -n 's/^ready 2 turns:127.0.0.1:[0-9]* tls=1 fell_back=0 ms=\([0-9]*\)$/\1/p' "$T/silent.out")
[ -n "$ms2" ] || fail "silent UDP: the second path did not go to TLS"
[ "$ms2" -lt 1500 ] || fail "silent UDP: the second path waited $ms2 ms"
note "silent UDP: over TLS after $ms ms; the next path after $ms2 ms"
grep -q 'no channel over UDP within 1.5 s; trying TURNS' "$T/silent.err" || fail "no fallback log line"

path refused --turn "turn:127.0.0.1:$refused" --turn "$tls" --ca "$T/turn-cert.pem" -d 1
[ "$pw_rc" = 0 ] || fail "refused UDP: exit $pw_rc: $(cat "$T/refused.err")"
ms=$(sed -n 's/^ready 1 turns:127.0.0.1:[0-9]* tls=1 fell_back=1 ms=\([0-9]*\)$/\1/p' "$T/refused.out")
[ -n "$ms" ] || fail "refused UDP: not over TLS"
[ "$ms" -lt 1500 ] || fail "refused UDP: over TLS only after $ms ms"
note "refused UDP: over TLS after $ms ms"

# Credentials refused over a working UDP: final, TLS not tried.
u="$(($(date +%s) + 600)):lanc"
printf 'turn:127.0.0.1:%s %s d3Jvbmc=\n' "$a_port" "$u" >"$T/cred"
path wrong --turn "turn:127.0.0.1:$a_port" --turn "$tls" --ca "$T/turn-cert.pem" --paths 3
[ "$pw_rc" = 111 ] || fail "wrong credentials: exit $pw_rc"
grep -q '^failed 1 auth=1 turn:127.0.0.1:[0-9]*: credentials refused' "$T/wrong.out" || fail "wrong credentials"
grep -q TURNS "$T/wrong.err" && fail "wrong credentials: fell back to TLS"

# TLS only, no --ca: the certificate is not trusted.
lanc_cred "$tls" >"$T/cred"
path noca --turn "$tls"
[ "$pw_rc" = 1 ] || fail "no --ca: exit $pw_rc, want 1 (one failed path)"
grep -q '^failed 1 auth=0 turns:' "$T/noca.out" || fail "no --ca: not a TLS failure"
note "no --ca: $(grep '^failed 1' "$T/noca.out")"
exit 0
