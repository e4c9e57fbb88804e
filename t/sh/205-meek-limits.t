#!/bin/sh
# SPDX-License-Identifier: MIT
# meek-server's limits: a header flood gets 431 and a close; a slowloris
# head (one byte per second) is cut off by --read-timeout; a 1 MB body is
# refused with 413 and a close before a byte of it is used; a session
# without requests for --idle-timeout is reaped, and a POST for it then
# opens a new session with a new upstream connection (lantern-box
# behaviour); --max-conns refuses connections past the limit unless an
# idle keep-alive connection can be closed for the new one.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-meeks.sh"

pw_start echo 1 python3 "$PW_PY/meek-echo.py" "unix:$T/echo.sock"
meeks_start -u "unix:$T/echo.sock" --read-timeout 2 --idle-timeout 1 --max-conns 4 \
	--admin "unix:$T/admin.sock"
S=$(meeks_sid)

flood=$(python3 -c 'print((b"POST / HTTP/1.1\r\nX-Flood: " + b"a" * 9000).hex())')
pw_raw flood "127.0.0.1:$meeks_port" "s:$flood" l c
case $pw_out in "HTTP/1.1 431 "*closed) ;; *) fail "flood: $pw_out" ;; esac
many=$(python3 -c 'print((b"POST / HTTP/1.1\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(100)) + b"\r\n").hex())')
pw_raw many-headers "127.0.0.1:$meeks_port" "s:$many" l c
case $pw_out in "HTTP/1.1 400 "*closed) ;; *) fail "too many headers: $pw_out" ;; esac

python3 - "$meeks_port" <<'PY' || fail "slowloris"
import select, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
head = b"POST / HTTP/1.1\r\nHost: meek.example\r\nX-Session-Id: slowslowslow\r\n" + b"X-Pad: " + b"p" * 200
for i, c in enumerate(head):
    try:
        s.send(bytes([c]))
    except (BrokenPipeError, ConnectionResetError):
        break
    r, _, _ = select.select([s], [], [], 1.0)
    if r:
        try:
            got = s.recv(100)
        except ConnectionResetError:
            got = b""
        if got:
            sys.exit("answered %r" % got)
        break
else:
    sys.exit("still open after %d bytes, one a second" % len(head))
print("# slowloris: closed after %d bytes" % (i + 1))
if i + 1 >= 60:
    sys.exit("the read timeout did not apply")
PY

meeks_req 1mb '{"sid":"'"$S"'","seq":0,"bodylen":1000000}'
meeks_want 1mb 'status=413'
[ "$(meeks_metric sessions_created)" = 0 ] || fail "413 created a session"

# Each echo comes back within the 50 ms holdoff, or on a loaded machine
# in a later poll's answer (every answer a 200 either way).
meeks_req before-reap '{"poll":{"sid":"'"$S"'","seq":0,"body":"616263"},"until":"616263"}'
meeks_want before-reap 'polled len=3 body=616263'
meeks_until_metric sessions_reaped 1
meeks_req after-reap '{"poll":{"sid":"'"$S"'","seq":1,"body":"646566"},"until":"646566"}'
meeks_want after-reap 'polled len=3 body=646566'
[ "$(meeks_metric sessions_created)" = 2 ] || fail "want a new session after the reap"

# --max-conns 4: four connections in the middle of a head are held, the
# fifth is closed at once; once they are idle keep-alive connections, a
# new one is served and the oldest idle one is closed for it.
python3 - "$meeks_port" "${meeks_admin#unix:}" <<'PY' || fail "max-conns"
import socket, sys
port = int(sys.argv[1])
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(4)]
for s in held:
    # The answer to the first request shows the server has read the partial second one.
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n")
    if b" 404 " not in s.recv(4096):
        sys.exit("a held connection was not served")
extra = socket.create_connection(("127.0.0.1", port))
extra.settimeout(5)
try:
    extra.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    got = extra.recv(4096)
except (ConnectionResetError, BrokenPipeError):
    got = b""
if got:
    sys.exit("the fifth connection was served")
print("# max-conns: the fifth connection was closed")
# The admin listener has its own limit: the operator still gets in.
adm = socket.socket(socket.AF_UNIX)
adm.settimeout(5)
adm.connect(sys.argv[2])
adm.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
if b" 200 " not in adm.recv(4096):
    sys.exit("the admin listener was refused while the public one was full")
adm.close()
print("# max-conns: the admin listener answered while the public one was full")
for s in held:
    s.settimeout(5)
    s.sendall(b"\r\n")
    if b" 404 " not in s.recv(4096):
        sys.exit("a held connection was not served")
new = socket.create_connection(("127.0.0.1", port))
new.settimeout(5)
new.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
if b" 404 " not in new.recv(4096):
    sys.exit("a new connection was not served in place of an idle one")
if held[0].recv(4096) != b"":
    sys.exit("the oldest idle connection was not closed")
print("# max-conns: the oldest idle connection was closed for a new one")
PY
[ "$(meeks_metric connections_refused)" = 1 ] || fail "want 1 refused connection"
pw_stop meeks
