#!/bin/sh
# SPDX-License-Identifier: MIT
# egress policy and dial errors, seen by curl straight at the egress
# (SOCKS5 reply code, curl exit 97) and through socks-client (the same
# reply over SOCKS5; 502 for refusals and 504 for timeouts over CONNECT).
. "$PW_TOP/t/lib.sh"

pw_httpd 1000
pw_start bh 2 python3 "$PW_PY/blackhole.py"
bh_ep2=$pw_ep2 bh_port=$pw_port
hole=$bh_port
dead=${bh_ep2##*:}

# e0: default policy only. e1: the test's own ports allowed.
pw_start e0 1 pw_egress -l tcp:127.0.0.1:0
e0_ep=$pw_ep e0_port=$pw_port
pw_start e1 1 pw_egress -l tcp:127.0.0.1:0 --connect-timeout 2 \
	--allow "127.0.0.1:$httpd_port" --allow "127.0.0.1:$dead" --allow "127.0.0.1:$hole"
e1_ep=$pw_ep e1_port=$pw_port
pw_start c0 1 pw_socks_client -l tcp:127.0.0.1:0 -C "$e0_ep"
c0_port=$pw_port
pw_start c1 1 pw_socks_client -l tcp:127.0.0.1:0 -C "$e1_ep"
c1_port=$pw_port
H=$httpd_port

# The allowed port works; everything else is refused.
pw_fetch allowed 1k.bin --socks5 "127.0.0.1:$e1_port" "http://127.0.0.1:$H/1k.bin"
pw_fetch allowed-via-client 1k.bin --socks5-hostname "127.0.0.1:$c1_port" "http://127.0.0.1:$H/1k.bin"

for via in e0 c0 e1 c1; do
	eval "p=\$${via}_port"
	pw_refused "$via-loopback-other-port" 2 --socks5 "127.0.0.1:$p" "http://127.0.0.1:$((H + 1))/"
	pw_refused "$via-localhost" 2 --socks5-hostname "127.0.0.1:$p" "http://localhost:$((H + 1))/"
	pw_refused "$via-mapped-v6" 2 --socks5 "127.0.0.1:$p" "http://[::ffff:127.0.0.1]:$((H + 1))/"
	pw_refused "$via-mapped-v6-name" 2 --socks5-hostname "127.0.0.1:$p" "http://[::ffff:127.0.0.1]:$((H + 1))/"
	pw_refused "$via-v6-loopback" 2 --socks5 "127.0.0.1:$p" "http://[::1]:$H/"
	pw_refused "$via-port25" 2 --socks5 "127.0.0.1:$p" "http://127.0.0.1:25/"
	pw_refused "$via-zero" 2 --socks5 "127.0.0.1:$p" "http://0.0.0.0:$H/"
done
# Only the default policy: even the web server is out of reach.
pw_refused e0-httpd 2 --socks5 "127.0.0.1:$e0_port" "http://127.0.0.1:$H/1k.bin"
# An allow rule for 127.0.0.1:PORT does not open 127.0.0.2.
pw_refused e1-127.0.0.2 2 --socks5 "127.0.0.1:$e1_port" "http://127.0.0.2:$H/"

# Dial errors: refused (5) and timeout (4 host unreachable or 6 TTL
# expired; 504 over CONNECT). Private, link-local and metadata ranges are
# not probed here: a policy bug would send packets off this machine.
pw_refused e1-refused 5 --socks5 "127.0.0.1:$e1_port" "http://127.0.0.1:$dead/"
pw_refused c1-refused 5 --socks5-hostname "127.0.0.1:$c1_port" "http://127.0.0.1:$dead/"
pw_refused e1-timeout '4|6' --socks5 "127.0.0.1:$e1_port" "http://127.0.0.1:$hole/"
pw_refused c1-timeout '4|6' --socks5-hostname "127.0.0.1:$c1_port" "http://127.0.0.1:$hole/"

# The same through HTTP CONNECT.
pw_connect_status http-loopback 502 "$c1_port" "http://127.0.0.1:$((H + 1))/"
pw_connect_status http-localhost 502 "$c1_port" "http://localhost:$((H + 1))/"
pw_connect_status http-mapped 502 "$c1_port" "http://[::ffff:127.0.0.1]:$((H + 1))/"
pw_connect_status http-port25 502 "$c1_port" "http://127.0.0.1:25/"
pw_connect_status http-refused 502 "$c1_port" "http://127.0.0.1:$dead/"
pw_connect_status http-timeout 504 "$c1_port" "http://127.0.0.1:$hole/"
pw_connect_status http-default-policy 502 "$c0_port" "http://127.0.0.1:$H/"

# Everything still serves after all that.
pw_fetch still-serving 1k.bin --socks5-hostname "127.0.0.1:$c1_port" "http://127.0.0.1:$H/1k.bin"
for p in c0 c1 e0 e1; do
	pw_stop "$p"
done
