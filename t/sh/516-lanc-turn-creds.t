#!/bin/sh
# SPDX-License-Identifier: MIT
# Credentials against coturn (use-auth-secret): a wrong password, an
# expired username and a password minted under another secret are each
# refused (401) and make the endpoint unhealthy at once: the TURN half
# gives up within a few seconds with "credentials refused" and exit 111
# (no endpoint left), instead of retrying. A file without a line for a
# --turn server, or with a malformed line, is a usage error (100) before
# anything is sent. The good line still works after all that.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-turn.sh"
. "$PW_TOP/t/lib-lanclient.sh"

lanc_turn a
a_port=$turn_port
turn_peer_start
uri=turn:127.0.0.1:$a_port
path() {
	"$PW_HELPERS/turn-path" --turn "$uri" --credentials-file "$T/cred" --peer "127.0.0.1:$peer_port" \
		-d 1 "$@" >"$T/path.out" 2>"$T/path.err" &
	hp=$!
	pw_track "$hp"
	t0=$(date +%s%N)
	pw_wait "$hp" 30
	ms=$((($(date +%s%N) - t0) / 1000000))
	cat "$T/path.out"
}

u="$(($(date +%s) + 600)):lanc"
printf '%s %s %s\n' "$uri" "$u" "bm90IHRoZSBwYXNzd29yZA==" >"$T/cred.wrong"
lanc_cred "$uri" -60 >"$T/cred.expired"
printf '%s %s %s\n' "$uri" "$u" "$(python3 -c '
import base64, hashlib, hmac, sys
print(base64.b64encode(hmac.new(b"another-secret", sys.argv[1].encode(), hashlib.sha1).digest()).decode())' "$u")" \
	>"$T/cred.othersecret"
for k in wrong expired othersecret; do
	cp "$T/cred.$k" "$T/cred"
	path --paths 5
	[ "$pw_rc" = 111 ] || fail "$k: exit $pw_rc, want 111: $(cat "$T/path.err")"
	grep -q '^failed 1 auth=1 turn:127.0.0.1:[0-9]*: credentials refused: Allocate: 401' "$T/path.out" ||
		fail "$k: no 'credentials refused' line"
	grep -q '^summary attempts=1 .*healthy=0' "$T/path.out" || fail "$k: retried a refused endpoint"
	[ "$ms" -lt 5000 ] || fail "$k: took $ms ms to give up"
	note "$k: refused after $ms ms"
done

# Usage errors: no line for the server, a malformed line.
lanc_cred "turn:127.0.0.2:$a_port" >"$T/cred"
path
[ "$pw_rc" = 100 ] || fail "missing line: exit $pw_rc, want 100"
grep -q "no line for turn:127.0.0.1:$a_port" "$T/path.err" || fail "missing line: $(cat "$T/path.err")"
{
	lanc_cred "$uri"
	printf 'turn:127.0.0.1:%s onlyuser\n' "$a_port"
} >"$T/cred"
path
[ "$pw_rc" = 100 ] || fail "malformed: exit $pw_rc, want 100"
grep -q 'line 2: no password' "$T/path.err" || fail "malformed: $(cat "$T/path.err")"

# The good credentials, with comments, CRLF and a turns: line of another host around them.
{
	printf '# minted by the operator\n\n'
	lanc_cred "turns:192.0.2.1:5349" | sed 's/$/\r/'
	lanc_cred "$uri" | sed 's/$/\r/'
} >"$T/cred"
path
[ "$pw_rc" = 0 ] || fail "good credentials: exit $pw_rc: $(cat "$T/path.err")"
exit 0
