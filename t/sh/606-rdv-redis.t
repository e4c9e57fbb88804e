#!/bin/sh
# SPDX-License-Identifier: MIT
# Two rendezvous processes sharing one redis-server (--redis): a proxy
# polling process B is matched with a client that asked process A; its
# answer, posted to B, reaches the client waiting in A (and the other way
# round). redis-server is then stopped: each process still matches on its
# own; once it is started again on the same socket, both reconnect by
# themselves and a cross-process match works again.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-rdv.sh"

command -v redis-server >/dev/null || fail "redis-server not installed (scripts/install-deps)"

redis_start() {
	pw_start_bg redis redis-server --port 0 --unixsocket "$T/redis.sock" --save "" --appendonly no \
		--dir "$T"
	redis_pid=$pw_pid
	# redis-server prints no ready line on a pipe: poll for its socket, bounded.
	i=0
	while [ ! -S "$T/redis.sock" ]; do
		i=$((i + 1))
		[ "$i" -le 100 ] || fail "redis-server did not open its socket"
		python3 -c 'import time; time.sleep(0.1)'
	done
}
redis_start

# rdv_start NAME: one rendezvous process on the shared redis-server.
rdv_start() {
	pw_start "rdv$1" 1 "$PW_BIN/rendezvous" -v -l tcp:127.0.0.1:0 --relay wss://snowflake.torproject.net/ \
		--redis "unix:$T/redis.sock" --admin "unix:$T/admin-$1.sock" --proxy-timeout 8 --client-timeout 4
}
rdv_start a
port_a=$pw_port
rdv_start b
port_b=$pw_port

# until_up SOCK: wait (bounded) for a process to have both redis connections up.
until_up() {
	i=0
	while [ "$(rdv_metric "$1" rendezvous_redis_up)" != 1 ]; do
		i=$((i + 1))
		[ "$i" -le 100 ] || fail "$1: redis not up after 10 s"
		python3 -c 'import time; time.sleep(0.1)'
	done
}
until_up "$T/admin-a.sock"
until_up "$T/admin-b.sock"

# cross PROXY_PORT CLIENT_PORT ANSWER_PORT SID: a proxy held by one
# process, a client at another, the answer posted to a third.
cross() {
	python3 - "$1" "$2" "$3" "$4" "$PW_PY" <<'PY'
import json, sys, time
sys.path.insert(0, sys.argv[5])
import rdvwire as w
pp, cp, ap, sid = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
offer = json.dumps({"type": "offer", "sdp": "v=0\r\n" + sid})
answer = json.dumps({"type": "answer", "sdp": "v=0\r\n" + sid})
p = w.Bg("/proxy", w.proxy_body(sid), port=pp)
time.sleep(0.3)
t0 = time.time()
c = w.Bg("/client", w.client_body(offer), port=cp)
st, b = p.get()
m = json.loads(b)
if m["Status"] != "client match" or m["Offer"] != offer:
    sys.exit("proxy at %d: %r" % (pp, b))
got = w.post("/answer", w.answer_body(sid, answer), port=ap)
if got != (200, b'{"Status":"success"}'):
    sys.exit("answer at %d: %r" % (ap, got))
st, b = c.get()
if json.loads(b) != {"answer": answer}:
    sys.exit("client at %d: %r" % (cp, b))
print("# proxy at %d, client at %d, answer at %d: matched in %.3fs" % (pp, cp, ap, time.time() - t0))
PY
}
cross "$port_b" "$port_a" "$port_b" sid-one || fail "cross-process match"
cross "$port_a" "$port_b" "$port_b" sid-two || fail "cross-process match, other way"
[ "$(rdv_metric "$T/admin-a.sock" rendezvous_remote_matches_total)" -ge 1 ] || fail "remote match not counted"

# redis-server stops: each process matches on its own.
kill -TERM "$redis_pid"
pw_wait "$redis_pid" 10
cross "$port_a" "$port_a" "$port_a" sid-local || fail "local match without redis"
[ "$(rdv_metric "$T/admin-a.sock" rendezvous_redis_up)" = 0 ] || fail "redis still shown up"
redis_start
until_up "$T/admin-a.sock"
until_up "$T/admin-b.sock"
cross "$port_b" "$port_a" "$port_a" sid-three || fail "cross-process match after redis came back"
pw_stop rdva
pw_stop rdvb
