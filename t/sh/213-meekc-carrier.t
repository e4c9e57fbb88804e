#!/bin/sh
# SPDX-License-Identifier: MIT
# meek-client as the carrier of socks-client (a Turbo Tunnel session over
# meek) to meek-server -> egress on a UNIX socket -> a local web server,
# over plain HTTP: a 20 MB download and a small one, byte for byte. Then
# socks-client --per-connection with meek-client to a SOCKS5 egress
# (each connection its own meek session, the lantern-box shape).
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-meekc.sh"

pw_httpd 20000000
pw_start egress 1 pw_egress -l "unix:$T/egress.sock" --allow "127.0.0.1:$httpd_port"
pw_start meeks 1 "$PW_BIN/meek-server" -l tcp:127.0.0.1:0 -u "unix:$T/egress.sock"
mport=$pw_port
carrier="exec $MEEKC --url http://127.0.0.1:$mport/ --insecure-plaintext"
url="http://127.0.0.1:$httpd_port"

pw_start client 1 pw_socks_client -l tcp:127.0.0.1:0 -C "$carrier"
cport=$pw_port
pw_fetch session-big big.bin --socks5-hostname "127.0.0.1:$cport" "$url/big.bin"
pw_fetch session-small 1k.bin --socks5-hostname "127.0.0.1:$cport" "$url/1k.bin"
pw_fetch session-connect 1k.bin -p -x "http://127.0.0.1:$cport" "$url/1k.bin"

pw_start pc 1 pw_socks_client -l tcp:127.0.0.1:0 --per-connection -C "$carrier"
pcport=$pw_port
pw_fetch perconn-big big.bin --socks5-hostname "127.0.0.1:$pcport" "$url/big.bin"
pw_fetch perconn-small 1k.bin --socks5-hostname "127.0.0.1:$pcport" "$url/1k.bin"

pw_stop client
pw_stop pc
pw_stop meeks
pw_stop egress
exit 0
