#!/bin/sh
# SPDX-License-Identifier: MIT
# Backpressure, not loss: a 150 kB upload through the opus profile (about
# 6.8 kB/s of capacity). The call refuses packets when its budget is
# spent, lanturn-client stops reading stdin instead of dropping (its count
# of refusals is > 0, its drops 0), KCP above is not made to retransmit
# into the same budget, and the sink receives every byte (sha256) at a
# goodput near the profile's capacity (noted; >= 3 kB/s asserted, with
# margin for a loaded machine).
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-turn.sh"
. "$PW_TOP/t/lib-lanclient.sh"

pw_start sink 1 python3 -c '
import hashlib, socket, sys, threading
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(4)
print("ready tcp:127.0.0.1:%d" % s.getsockname()[1], flush=True)
def serve(c):
    h, n = hashlib.sha256(), 0
    while True:
        b = c.recv(65536)
        if not b:
            break
        h.update(b)
        n += len(b)
    c.sendall(b"%d %s\n" % (n, h.hexdigest().encode()))
    c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()'
sink_port=$pw_port
pw_start egress 1 pw_egress -l "unix:$T/egress.sock,trusted" --allow "127.0.0.1:$sink_port"
pw_start lt 1 "$PW_BIN/lanturn-egress" -l udp:127.0.0.1:0 -u "unix:$T/egress.sock"
lt_port=${pw_ep##*:}
lt_fp=$(awk '$1 == "fingerprint" { print $2 }' "$T/lt.out")
lanc_turn a
a_port=$turn_port
lanc_cred "turn:127.0.0.1:$a_port" >"$T/cred"
lanc_client client opus "turn:127.0.0.1:$a_port" -- -v
head -c 150000 /dev/urandom >"$T/up.bin"
want="150000 $(pw_sha "$T/up.bin")"
t0=$(date +%s%N)
got=$(python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=120)
s.sendall(b"\x05\x01\x00")
assert s.recv(2) == b"\x05\x00"
s.sendall(b"\x05\x01\x00\x01\x7f\x00\x00\x01" + int(sys.argv[2]).to_bytes(2, "big"))
r = b""
while len(r) < 10:
    r += s.recv(10 - len(r))
assert r[1] == 0, r
s.sendall(open(sys.argv[3], "rb").read())
s.shutdown(socket.SHUT_WR)
print(s.makefile().readline().strip())' "$client_port" "$sink_port" "$T/up.bin") || fail "upload failed"
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$got" = "$want" ] || fail "the sink got '$got', want '$want'"
bps=$((150000 * 1000 / ms))
note "opus upload: 150000 bytes in $ms ms, $bps B/s"
[ "$bps" -ge 3000 ] || fail "goodput $bps B/s under opus"
pw_stop client
python3 "$PW_PY/wait-for.py" "$T/client.err" "lanturn-client: done:" 10 || fail "lanturn-client did not end"
line=$(grep 'calls refused' "$T/client.err") || fail "no refusal count: the call never refused (no backpressure)"
note "$line"
printf '%s\n' "$line" | grep -q 'refused [1-9][0-9]* packets (stdin paused), 0 dropped' ||
	fail "refusals or drops wrong: $line"
grep -q Sanitizer "$T/client.err" && fail "sanitizer"
exit 0
