#!/bin/sh
# SPDX-License-Identifier: MIT
# Requests one after another through a session (socks-client -> egress,
# secure, the default): once the egress's FIN has come, the client's own
# FIN only tears the stream down, so it waits for the next datagram, the
# next request's SYN, instead of leaving alone and waking the egress for
# it. Each request then costs the client two datagrams (the SYN with its
# destination, the request), not three. Counted at the egress
# (egress_session_datagrams_in_total) over N back-to-back requests of one
# curl: before, 3N and more; the test asks for at most 3N - N/4, so that
# a quarter of the FINs rode along (on an idle machine all but the last
# do), and that the last FIN still leaves on its own (the KCP interval):
# the egress ends up holding no stream.
. "$PW_TOP/t/lib.sh"

pw_httpd 1024
H=$httpd_port
adm="$T/admin.sock"
pw_start egress 1 pw_egress -l tcp:127.0.0.1:0 --admin "unix:$adm" --allow "127.0.0.1:$H"
pw_start client 1 pw_socks_client -l tcp:127.0.0.1:0 -C "$pw_ep"
P=$pw_port

# streams_gone: wait (bounded) until the egress holds no stream.
streams_gone() {
	_i=0
	while [ "$_i" -lt 500 ]; do
		[ "$(pw_metric "$adm" egress_streams)" = 0 ] && return 0
		_i=$((_i + 1))
	done
	fail "a stream stayed open at the egress: its FIN never left the client"
}

N=40
: >"$T/urls"
i=0
while [ "$i" -lt "$N" ]; do
	printf 'url = "http://127.0.0.1:%s/1k.bin"\noutput = "/dev/null"\n' "$H" >>"$T/urls"
	i=$((i + 1))
done

# The session and its handshake first.
curl -sS --max-time 10 -o /dev/null --socks5-hostname "127.0.0.1:$P" "http://127.0.0.1:$H/1k.bin" ||
	fail "warm-up fetch failed"
streams_gone
d0=$(pw_metric "$adm" egress_session_datagrams_in_total)
curl -sS --max-time 60 -H 'Connection: close' -w '%{http_code}\n' \
	--socks5-hostname "127.0.0.1:$P" -K "$T/urls" >"$T/codes" || fail "the requests failed"
ok=$(grep -c '^200$' "$T/codes")
[ "$ok" -eq "$N" ] || fail "$ok of $N requests answered 200"
streams_gone
d1=$(pw_metric "$adm" egress_session_datagrams_in_total)
d=$((d1 - d0))
note "$N requests, $d datagrams from the client ($(awk -v d="$d" -v n="$N" 'BEGIN { printf "%.2f", d / n }') each)"
[ "$d" -ge $((2 * N)) ] || fail "$d datagrams for $N requests: fewer than the two each must send"
[ "$d" -le $((3 * N - N / 4)) ] || fail "$d datagrams for $N requests: the FINs did not ride with the next SYN"
pw_stop client
pw_stop egress
