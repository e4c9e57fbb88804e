#!/bin/sh
# SPDX-License-Identifier: MIT
# egress policy against the spellings that hide an internal address: host
# names that only look numeric (refused before DNS, whatever a resolver
# would make of them), IPv6 forms that embed 127.0.0.1, and the host's own
# addresses (--deny-self). Each is answered with SOCKS5 reply 2 while the
# allowed web server keeps working, and --no-deny-self opens the host's
# own address again, so the test fails if the refusal comes from anywhere
# else.
. "$PW_TOP/t/lib.sh"

pw_httpd 1000
H=$httpd_port

# The host's first global addresses, if it has any (a bare sandbox may not).
self4=$(ip -o -4 addr show scope global 2>/dev/null | awk '{ sub("/.*", "", $4); print $4; exit }')
self6=$(ip -o -6 addr show scope global 2>/dev/null | awk '{ sub("/.*", "", $4); print $4; exit }')
allow_self=""
if [ -n "$self4" ]; then
	pw_start s4 1 "$PW_HELPERS/httpd" -l "tcp:$self4:0" -d "$T/www"
	s4_port=$pw_port
	allow_self="$allow_self --allow $self4:$s4_port"
fi
if [ -n "$self6" ]; then
	pw_start s6 1 "$PW_HELPERS/httpd" -l "tcp:[$self6]:0" -d "$T/www"
	s6_port=$pw_port
	allow_self="$allow_self --allow [$self6]:$s6_port"
fi

# e1: the test's servers allowed, --deny-self by default. e2: the same
# without --deny-self.
# shellcheck disable=SC2086 # allow_self is a list of words
pw_start e1 1 "$PW_BIN/egress" -l tcp:127.0.0.1:0 --connect-timeout 2 --events - \
	--allow "127.0.0.1:$H" $allow_self
e1_port=$pw_port
# shellcheck disable=SC2086
pw_start e2 1 "$PW_BIN/egress" -l tcp:127.0.0.1:0 --connect-timeout 2 --no-deny-self \
	--allow "127.0.0.1:$H" $allow_self
e2_port=$pw_port

# CONNECT to NAME:PORT as a SOCKS5 domain name, byte for byte: curl would
# rewrite 0177.0.0.1 to 127.0.0.1 in the URL before sending it.
socks_name() {
	printf '05010003%02x%s%04x' "${#1}" "$(pw_hex "$1")" "$2"
}

# name_reply LABEL NAME WANT: the reply code of the egress to NAME:$H.
name_reply() {
	pw_raw "$1" "127.0.0.1:$e1_port" s:050100 x:0500 "s:$(socks_name "$2" "$H")" rep
	[ "$pw_out" = "rep=$3" ] || fail "$1: '$2' answered '$pw_out', want rep=$3"
}

pw_fetch allowed 1k.bin --socks5 "127.0.0.1:$e1_port" "http://127.0.0.1:$H/1k.bin"
name_reply canonical-name 127.0.0.1 0
for n in 0177.0.0.1 127.1 127.0.1 0x7f.0.0.1 0x7f000001 2130706433 127.0.0.01 127.0.0.1. \
	'127.0.0.1 x' localhost.127; do
	name_reply "name-$n" "$n" 2
done

# IPv6 forms of 127.0.0.1, as addresses and as names. Not on port $H:
# the rule that allows 127.0.0.1:$H allows its embedded forms too.
for a in ::ffff:0:127.0.0.1 2002:7f00:1:: 64:ff9b::7f00:1 2001:0:4136:e378:8000:63bf:80ff:fffe \
	2a00:1450::200:5efe:7f00:1; do
	pw_refused "v6-$a" 2 --socks5 "127.0.0.1:$e1_port" "http://[$a]:$((H + 1))/"
	pw_refused "v6-name-$a" 2 --socks5-hostname "127.0.0.1:$e1_port" "http://[$a]:$((H + 1))/"
done

# The host's own addresses: refused with --deny-self although allowed by
# a rule, reachable without it.
if [ -n "$self4" ]; then
	pw_refused self4 2 --socks5 "127.0.0.1:$e1_port" "http://$self4:$s4_port/1k.bin"
	pw_fetch self4-no-deny-self 1k.bin --socks5 "127.0.0.1:$e2_port" "http://$self4:$s4_port/1k.bin"
else
	note "no global IPv4 address: --deny-self not tested for IPv4"
fi
if [ -n "$self6" ]; then
	pw_refused self6 2 --socks5 "127.0.0.1:$e1_port" "http://[$self6]:$s6_port/1k.bin"
	pw_fetch self6-no-deny-self 1k.bin --socks5 "127.0.0.1:$e2_port" "http://[$self6]:$s6_port/1k.bin"
else
	note "no global IPv6 address: --deny-self not tested for IPv6"
fi

pw_fetch still-serving 1k.bin --socks5 "127.0.0.1:$e1_port" "http://127.0.0.1:$H/1k.bin"
pw_stop e2
pw_stop e1

# Every refused name closed with the result "refused".
python3 - "$T/e1.out" <<'PY' || fail "events check failed"
import json, sys
names = ["0177.0.0.1", "127.1", "0x7f000001", "2130706433", "localhost.127"]
seen = {}
for line in open(sys.argv[1]):
    if not line.startswith("{"):
        continue
    ev = json.loads(line)
    if ev.get("event") != "close":
        continue
    for n in names:
        if str(ev.get("destination", "")).startswith(n + ":"):
            seen[n] = ev.get("result")
for n in names:
    if seen.get(n) != "refused":
        sys.exit("%s: close result %r, want 'refused'" % (n, seen.get(n)))
print("# refused names closed with result 'refused'")
PY
