#!/bin/sh
# SPDX-License-Identifier: MIT
# A short request through a session (socks-client -> egress, secure, the
# default) costs the client three datagrams: the new stream's SYN with its
# destination, the request with the stream's first window update (which
# waits for it instead of leaving alone after the egress's answer), and
# the FIN. Counted at the egress (egress_session_datagrams_in_total), one
# request at a time, each once its stream is gone at the egress. Before,
# every request cost five; under load a request whose client was slower
# than the KCP interval may still cost four or more, so the test asks that
# a quarter of the requests take three (on an idle machine all but one or
# two do), and none fewer than two.
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
	fail "a stream stayed open at the egress"
}

fetch() {
	curl -sS --max-time 10 -o /dev/null -H 'Connection: close' \
		--socks5-hostname "127.0.0.1:$P" "http://127.0.0.1:$H/1k.bin" || fail "fetch $1 failed"
}

# The session and its handshake first.
fetch warm-up
streams_gone
N=20
three=0
i=0
all=""
while [ "$i" -lt "$N" ]; do
	d0=$(pw_metric "$adm" egress_session_datagrams_in_total)
	fetch "$i"
	streams_gone
	d1=$(pw_metric "$adm" egress_session_datagrams_in_total)
	d=$((d1 - d0))
	all="$all $d"
	[ "$d" -ge 2 ] || fail "request $i: $d datagrams from the client, fewer than the two it must send"
	[ "$d" -le 3 ] && three=$((three + 1))
	i=$((i + 1))
done
note "datagrams from the client per request:$all"
[ "$three" -ge $((N / 4)) ] || fail "only $three of $N requests took three datagrams or fewer:$all"
pw_stop client
pw_stop egress
