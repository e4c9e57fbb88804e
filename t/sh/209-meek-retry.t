#!/bin/sh
# SPDX-License-Identifier: MIT
# Requests cut off and retried, dripped and half-closed, and the command
# line: a request whose connection dies mid-body writes nothing upstream,
# so the retry with the same X-Meek-Seq is not duplicated; one whose
# connection dies after its body (during the holdoff) is not written twice
# either; a request dripped one byte at a time and one followed by a
# half-close are served; two requests of one session on two connections
# are served one after the other; bad options exit 100 and --admin refuses a
# non-loopback address.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-meeks.sh"

pw_start echo 1 python3 "$PW_PY/meek-echo.py" "unix:$T/echo.sock"
meeks_start -u "unix:$T/echo.sock" --holdoff 1000
S=$(meeks_sid)
req() { # req SEQ BODY-TEXT [CONTENT-LENGTH]: hex of one request
	_b=$2
	pw_hex "POST / HTTP/1.1\r\nHost: m\r\nX-Session-Id: $S\r\nX-Meek-Seq: $1\r\nContent-Length: ${3:-${#_b}}\r\n\r\n$_b"
}

meeks_req open '{"sid":"'"$S"'","seq":0,"body":"6f70656e"}'
meeks_want open "status=200 len=4 body=$(pw_hex open)"
# Cut mid-body: 3 of 6 bytes, then the connection is gone.
pw_raw cut-body "127.0.0.1:$meeks_port" "s:$(req 1 abc 6)" h c
meeks_req retry '{"sid":"'"$S"'","seq":1,"body":"'"$(pw_hex abcdef)"'"}' '{"sid":"'"$S"'","seq":2}'
[ "$(printf '%s\n' "$meeks_out" | tr '\n' ' ')" = "status=200 len=6 body=$(pw_hex abcdef) status=200 len=0 body= " ] ||
	fail "retry after a cut body: $meeks_out"
# Cut after the body: the answer is lost, the retry gets the bytes once.
python3 - "$meeks_port" "$(req 3 ghi)" <<'PY' || fail "cut after body"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(bytes.fromhex(sys.argv[2]))
s.close()
PY
meeks_req retry-2 '{"sid":"'"$S"'","seq":3,"body":"'"$(pw_hex ghi)"'"}' '{"sid":"'"$S"'","seq":4}'
[ "$(printf '%s\n' "$meeks_out" | tr '\n' ' ')" = "status=200 len=3 body=$(pw_hex ghi) status=200 len=0 body= " ] ||
	fail "retry after a lost answer: $meeks_out"

# Two connections, one session: the second request waits for the first
# (pending in its 1 s holdoff), so its echo goes to the second answer.
python3 - "$meeks_port" "$(req 8 '')" "$(req 9 zz)" <<'PY' || fail "serialized requests"
import socket, sys
port = int(sys.argv[1])
a = socket.create_connection(("127.0.0.1", port))
b = socket.create_connection(("127.0.0.1", port))
a.sendall(bytes.fromhex(sys.argv[2]))
b.sendall(bytes.fromhex(sys.argv[3]))
def body(s):
    d = b""
    while b"\r\n\r\n" not in d or len(d.split(b"\r\n\r\n", 1)[1]) < int(d.split(b"Content-Length: ")[1].split(b"\r\n")[0]):
        c = s.recv(4096)
        if not c:
            sys.exit("closed")
        d += c
    return d.split(b"\r\n\r\n", 1)[1]
ba, bb = body(a), body(b)
print("# first answer %r, second %r" % (ba, bb))
if ba != b"" or bb != b"zz":
    sys.exit("interleaved")
PY
pw_raw drip "127.0.0.1:$meeks_port" "d:$(req 5 drip)" l
case $pw_out in "HTTP/1.1 200 OK"*) ;; *) fail "drip: $pw_out" ;; esac
pw_raw half-close "127.0.0.1:$meeks_port" "s:$(req 6 half)$(req 7 '')" h l
case $pw_out in "HTTP/1.1 200 OK"*) ;; *) fail "half-close: $pw_out" ;; esac
pw_stop meeks

"$PW_BIN/meek-server" --bogus >/dev/null 2>&1
[ $? -eq 100 ] || fail "a bad option must exit 100"
"$PW_BIN/meek-server" -l tcp:127.0.0.1:0 >/dev/null 2>&1
[ $? -eq 100 ] || fail "a missing -u must exit 100"
"$PW_BIN/meek-server" -l tcp:127.0.0.1:0 -u "unix:$T/echo.sock" --admin tcp:0.0.0.0:0 >/dev/null 2>&1
[ $? -eq 100 ] || fail "--admin on a public address must exit 100"
"$PW_BIN/meek-server" -l tcp:127.0.0.1:0 -u "unix:$T/echo.sock" --auth-token-file "$T/none" >/dev/null 2>&1
[ $? -eq 100 ] || fail "a missing token file must exit 100"
"$PW_BIN/meek-server" -l tcp:127.0.0.1:0 -u "unix:$T/echo.sock" --max-body 10 >/dev/null 2>&1
[ $? -eq 100 ] || fail "--max-body 10 must exit 100"
"$PW_BIN/meek-server" --help >"$T/help" || fail "--help must exit 0"
grep -q '^usage: meek-server ' "$T/help" || fail "--help: $(cat "$T/help")"
