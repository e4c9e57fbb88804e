#!/bin/sh
# SPDX-License-Identifier: MIT
# --max-memory holds against bodies that never finish: 40 connections from
# 40 addresses each send a head announcing 100000 bytes and 90000 of them;
# with a 1 MiB budget the broker refuses (503 and a close) the connections
# that would pass it instead of buffering 3.6 MB, its RSS stays within a few
# MB, the refusals are counted, and once --read-timeout has closed the
# stalled requests a legitimate proxy poll is served again.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-rdv.sh"

pw_start rdv 1 "$PW_BIN/rendezvous" -l tcp:0.0.0.0:0 --max-memory 1048576 --read-timeout 3 \
	--proxy-timeout 1 --relay wss://snowflake.torproject.net/ --admin "unix:$T/admin.sock"
port=$pw_port rdv_pid=$pw_pid
rss0=$(pw_rss "$rdv_pid")
python3 - "$port" "$rdv_pid" "$PW_PY" "$T/admin.sock" <<'PY' || fail "max-memory"
import socket, sys, time
sys.path.insert(0, sys.argv[3])
import rdvwire as w
w.PORT = int(sys.argv[1])
w.ADMIN = sys.argv[4]
socks = []
for i in range(40):
    s = socket.socket()
    s.bind(("127.0.0.%d" % (10 + i), 0))
    s.connect(("127.0.0.1", w.PORT))
    s.settimeout(3)
    try:
        s.sendall(b"POST /client HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n1.0\n" + b"x" * 90000)
    except (BrokenPipeError, ConnectionResetError):
        continue  # refused while sending: the broker counts it
    socks.append(s)
# The refusals, counted by the broker as it gets to them (a loaded
# machine may take a while; without the budget they never come).
refused = w.wait_metric('rendezvous_refused_total{limit="memory"}', 20)
with open("/proc/%s/status" % sys.argv[2]) as f:
    rss = [int(l.split()[1]) for l in f if l.startswith("VmRSS")][0]
print("# %d of 40 stalled bodies refused; broker RSS %d kB while they were held" % (refused, rss))
if refused < 20:
    sys.exit("only %d refused: the budget did not hold" % refused)
# The read timeout (3 s) closes the stalled requests and gives their memory back.
end = time.time() + 20
while w.metric("rendezvous_memory_bytes") > 65536:
    if time.time() > end:
        sys.exit("the stalled requests still hold %d bytes" % w.metric("rendezvous_memory_bytes"))
    time.sleep(0.1)
st, b = w.post("/proxy", w.proxy_body("legit"))
if st != 200 or b'"Status":"no match"' not in b:
    sys.exit("legit poll after the stall: %r %r" % (st, b))
PY
rss1=$(pw_rss "$rdv_pid")
note "RSS $rss0 -> $rss1 kB"
[ $((rss1 - rss0)) -le 16384 ] || fail "RSS grew by $((rss1 - rss0)) kB"
v=$(rdv_metric "$T/admin.sock" 'rendezvous_refused_total{limit="memory"}')
[ "${v:-0}" -ge 1 ] || fail "memory refusals not counted ($v)"
[ "$(rdv_metric "$T/admin.sock" rendezvous_read_timeouts_total)" -ge 1 ] || fail "read timeouts not counted"
pw_stop rdv
