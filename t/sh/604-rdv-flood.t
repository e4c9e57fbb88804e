#!/bin/sh
# SPDX-License-Identifier: MIT
# 10,000 polling proxies held at once, from 100 loopback source addresses
# (127.0.0.2–127.0.0.101, 100 each): the broker's own accounting stays
# under 4 KiB per held poll, its RSS grows by less than 16 KiB per poll
# (a margin for malloc and ASan), and a legitimate proxy and client from
# 127.0.0.1 are still matched promptly. Figures are printed with note.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-rdv.sh"

N=10000
pw_start rdv 1 "$PW_BIN/rendezvous" -l tcp:0.0.0.0:0 --proxy-timeout 60 --client-timeout 10 \
	--read-timeout 30 --max-conns-per-addr 128 --poll-burst 200 --max-proxies 12000 \
	--relay wss://snowflake.torproject.net/ --admin "unix:$T/admin.sock"
port=$pw_port rdv_pid=$pw_pid
rss0=$(pw_rss "$rdv_pid")
mkfifo "$T/flood.ctl"
cat >"$T/flood.py" <<'PY'
import resource, socket, sys
sys.path.insert(0, sys.argv[3])
import rdvwire as w
port, n = int(sys.argv[1]), int(sys.argv[2])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
socks = []
for i in range(n):
    s = socket.socket()
    s.bind(("127.0.0.%d" % (2 + i // 100), 0))
    s.connect(("127.0.0.1", port))
    b = w.proxy_body("flood-%05d" % i).encode()
    s.sendall(b"POST /proxy HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(b), b))
    socks.append(s)
print("sent", len(socks), flush=True)
sys.stdin.read()  # hold them until the test says so
PY
python3 "$T/flood.py" "$port" "$N" "$PW_PY" >"$T/flood.out" 2>"$T/flood.err" <"$T/flood.ctl" &
flood_pid=$!
pw_track "$flood_pid"
exec 8>"$T/flood.ctl"
i=0
while :; do
	held=$(rdv_metric "$T/admin.sock" rendezvous_proxies_waiting)
	[ "${held:-0}" -ge "$N" ] && break
	i=$((i + 1))
	[ "$i" -le 300 ] || fail "only ${held:-0} of $N polls held after 60 s: $(cat "$T/flood.err")"
	python3 -c 'import time; time.sleep(0.1)' # polling a metric, not waiting for an event
done
rss1=$(pw_rss "$rdv_pid")
mem=$(rdv_metric "$T/admin.sock" rendezvous_memory_bytes)
per_budget=$((mem / N))
per_rss=$(((rss1 - rss0) * 1024 / N))
note "$N held polls: budget $mem bytes ($per_budget B/poll), RSS $rss0 -> $rss1 kB ($per_rss B/poll)"
[ "$per_budget" -le 4096 ] || fail "budget per held poll $per_budget B > 4096"
[ "$per_rss" -le 16384 ] || fail "RSS per held poll $per_rss B > 16 KiB"

python3 - "$port" "$PW_PY" <<'PY' || fail "legitimate match under the flood"
import json, sys, time
sys.path.insert(0, sys.argv[2])
import rdvwire as w
w.PORT = int(sys.argv[1])
offer = json.dumps({"type": "offer", "sdp": "v=0\r\n"})
p = w.Bg("/proxy", w.proxy_body("legit"))
time.sleep(0.3)
t0 = time.time()
c = w.Bg("/client", w.client_body(offer))
st, b = p.get()
if json.loads(b)["Status"] != "client match":
    sys.exit("the legitimate proxy was not matched: %r" % b)
w.post("/answer", w.answer_body("legit", '{"type":"answer","sdp":"v=0"}'))
st, b = c.get()
if b"answer" not in b:
    sys.exit("client: %r" % b)
print("# legitimate match and answer in %.3fs under the flood" % (time.time() - t0))
PY
exec 8>&-
pw_wait "$flood_pid" 30
pw_stop rdv 30
