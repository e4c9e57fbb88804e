#!/bin/sh
# SPDX-License-Identifier: MIT
# meek-server answers each step of the lantern-box check order with its
# status and a Go-http.Error-shaped body: 404 for probes and other paths,
# 405, 403 for a wrong or missing X-Meek-Auth, 400 without a usable
# X-Session-Id, 411 for a chunked body, 413 for a 1 MB body (before any
# session exists), 503 past --max-sessions, 502 when the upstream is
# unreachable (at once and after an asynchronous dial), 410 once an
# upstream that closed is drained, 200 otherwise. A session starts with
# a body: an empty POST for an unknown id is an empty 200 and leaves no
# session. The admin listener counts them; the public one has no status
# page.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-meeks.sh"

meeks_unix_echo echo
printf 's3cret-token\n' >"$T/token"
meeks_start -u "unix:$T/echo.sock" --auth-token-file "$T/token" --path /meek/ \
	--max-sessions 2 --admin tcp:127.0.0.1:0
A=s3cret-token
S1=$(meeks_sid)
S2=$(meeks_sid)

meeks_req probes '{"method":"GET","path":"/"}' '{"method":"GET","path":"/meek/"}' \
	'{"method":"HEAD","path":"/meek/"}' '{"method":"GET","path":"/healthz"}' \
	'{"method":"GET","path":"/metrics"}' '{"path":"/other","auth":"'$A'","sid":"'"$S1"'"}'
[ "$(printf '%s\n' "$meeks_out" | grep -c '^status=404')" -eq 6 ] ||
	fail "probes: want six 404s, got: $meeks_out"
meeks_want probes "status=404 len=19 body=$(pw_hex '404 page not found\n')"
meeks_want probes 'status=404 len=0 body=$'
meeks_req 405 '{"method":"PUT","path":"/meek/","body":"00"}'
meeks_want 405 "status=405 len=19 body=$(pw_hex 'method not allowed\n')"
meeks_req 403-missing '{"path":"/meek/","sid":"'"$S1"'"}'
meeks_want 403-missing "status=403 len=10 body=$(pw_hex 'forbidden\n')"
meeks_req 403-wrong '{"path":"/meek/","sid":"'"$S1"'","auth":"s3cret-tokeN"}' \
	'{"path":"/meek/","sid":"'"$S1"'","auth":"s3cret-token-and-more"}'
[ "$(printf '%s\n' "$meeks_out" | grep -c '^status=403')" -eq 2 ] || fail "403: $meeks_out"
meeks_req 400 '{"path":"/meek/","auth":"'$A'"}' '{"path":"/meek/","auth":"'$A'","sid":"short"}'
[ "$(printf '%s\n' "$meeks_out" | grep -c "^status=400 len=21 body=$(pw_hex 'missing X-Session-Id\n')")" -eq 2 ] ||
	fail "400: $meeks_out"
meeks_req 411 '{"path":"/meek/","auth":"'$A'","sid":"'"$S1"'","noclen":true,"headers":{"Transfer-Encoding":"chunked"}}'
meeks_want 411 'status=411'
meeks_req 413 '{"path":"/meek/","auth":"'$A'","sid":"'"$S1"'","bodylen":1000000}'
meeks_want 413 "status=413 len=36 body=$(pw_hex 'request body exceeds max_body_bytes\n')"
[ "$(meeks_metric sessions_created)" = 0 ] || fail "a refused request created a session"

# The error answers look like Go's http.Error and name no server.
python3 - "$meeks_port" <<'PY' || fail "error answer headers"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"POST /meek/ HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
head = b""
while b"\r\n\r\n" not in head:
    c = s.recv(4096)
    if not c:
        sys.exit("closed")
    head += c
h = head.split(b"\r\n\r\n")[0].decode().lower()
print("# " + h.replace("\r\n", " | "))
for want in ("content-type: text/plain; charset=utf-8", "x-content-type-options: nosniff", "content-length: 10", "date: "):
    if want not in h:
        sys.exit("missing " + want)
if "server:" in h or "meek" in h:
    sys.exit("the answer names its server")
PY

# The echo comes back when socat has forked its cat: in this answer or,
# on a loaded machine, in a later poll's (every answer a 200 either way).
meeks_req 200 '{"poll":{"path":"/meek/","auth":"'$A'","sid":"'"$S1"'","seq":0,"body":"6869"},"until":"6869"}' \
	'{"path":"/meek/","auth":"'$A'","sid":"'"$S2"'","seq":0,"body":"00"}' \
	'{"path":"/meek/","auth":"'$A'","sid":"'"$(meeks_sid)"'","seq":0}'
meeks_want 200 'polled len=2 body=6869'
meeks_want 200 'status=200 len=0 body=$'
meeks_req 503 '{"path":"/meek/","auth":"'$A'","sid":"'"$(meeks_sid)"'","body":"00"}'
meeks_want 503 'status=503'
[ "$(meeks_metric sessions_open)" = 2 ] || fail "want 2 sessions open"
[ "$(meeks_metric requests_403)" = 4 ] || fail "want 4 requests answered 403"
python3 "$MEEK_REQ" "$meeks_admin" '{"method":"GET","path":"/healthz","text":true}' >"$T/health"
grep -qx 'ok sessions=2' "$T/health" || fail "healthz: $(cat "$T/health")"
pw_stop meeks

# 502: nothing at the unix path (the dial fails at once), and a TCP port
# that refuses (the dial fails later, asynchronously).
pw_start bad 1 "$PW_BIN/meek-server" -l tcp:127.0.0.1:0 -u "unix:$T/nothing.sock"
meeks_port=$pw_port
meeks_req 502-unix '{"sid":"'"$S1"'","body":"00"}' '{"sid":"'"$S1"'","body":"00"}'
[ "$(printf '%s\n' "$meeks_out" | grep -c "^status=502 len=21 body=$(pw_hex 'upstream unreachable\n')")" -eq 2 ] ||
	fail "502: $meeks_out"
pw_stop bad
dead=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
pw_start bad2 1 "$PW_BIN/meek-server" -l tcp:127.0.0.1:0 -u "tcp:127.0.0.1:$dead"
meeks_port=$pw_port
meeks_req 502-tcp '{"sid":"'"$S1"'","seq":0,"body":"00"}' '{"sid":"'"$S1"'","seq":1,"body":"00"}'
[ "$(printf '%s\n' "$meeks_out" | grep -c '^status=502')" -eq 2 ] || fail "502 tcp: $meeks_out"
pw_stop bad2

# 410: the upstream says "bye" and closes; the data comes first, then 410,
# then the same id makes a new session with a new upstream connection.
# It reads the poll's byte first: socat ends a connection whose
# command exited before it could write to it, and "bye" with it.
meeks_unix_cmd bye 'head -c 1 >/dev/null; printf bye'
pw_start gone 1 "$PW_BIN/meek-server" -l tcp:127.0.0.1:0 -u "unix:$T/bye.sock"
meeks_port=$pw_port
meeks_req 410 '{"poll":{"sid":"'"$S1"'","seq":0,"body":"00"},"until":"'"$(pw_hex bye)"'"}'
meeks_want 410 "polled len=3 body=$(pw_hex bye)"
python3 "$MEEK_REQ" "127.0.0.1:$meeks_port" '{"poll":{"sid":"'"$S1"'","seq":50},"until":"ff","max":20}' >"$T/410.out" 2>&1
grep -q "^status=410 len=16 body=$(pw_hex 'upstream closed\n')" "$T/410.out" || fail "410: $(cat "$T/410.out")"
meeks_req 410-new '{"poll":{"sid":"'"$S1"'","seq":0,"body":"00"},"until":"'"$(pw_hex bye)"'"}'
pw_stop gone
