#!/bin/sh
# SPDX-License-Identifier: MIT
# Attack test: someone who learnt a live session's ClientID and
# conversation id opens carriers with that ClientID: one brings segment 0
# of another conversation, two bring datagrams of the victim's
# conversation that are not KCP, one a well-formed window probe (WASK)
# of the victim's conversation, which passes KCP's checks but proves
# nothing. None of them receives a byte of the victim's downstream (not
# even the probe's answer), the first three are closed and counted, and
# the victim's download goes on to the right sha256.
. "$PW_TOP/t/lib.sh"

pw_httpd 20000000
H=$httpd_port
pw_start egress 2 pw_egress -l tcp:127.0.0.1:0 \
	--admin "unix:$T/admin.sock" --allow "127.0.0.1:$H"
egress_ep=$pw_ep egress_port=$pw_port
# The victim's carrier records what it sends: preamble, then datagrams.
pw_start client 1 pw_socks_client -l tcp:127.0.0.1:0 \
	-C "tee '$T/up.bin' | socat - TCP:127.0.0.1:$egress_port"
client_port=$pw_port

mkfifo "$T/mark"
python3 "$PW_PY/get.py" --mark 2000000 --markfile "$T/mark" --rate 4 \
	"127.0.0.1:$client_port" 127.0.0.1 "$H" big.bin >"$T/get.out" 2>&1 &
get_pid=$!
pw_track "$get_pid"
m=$(timeout 30 head -n 1 "$T/mark")
[ "$m" = mark ] || fail "the victim's download did not start: $(cat "$T/get.out")"

# ClientID: bytes 8..15; the first datagram follows, behind its 1..3 byte
# encapsulation prefix (pipeworks-protocol(5)); its conv is its first 4
# bytes, little-endian.
ids=$(python3 -c '
import sys
b = open(sys.argv[1], "rb").read(4096)
p, i = b[16:], 0
n = p[0] & 0x3f
while p[i] & (0x40 if i == 0 else 0x80):
    i += 1
    n = n << 7 | p[i] & 0x7f
d = p[i + 1:i + 1 + n]
print(b[8:16].hex(), "%08x" % int.from_bytes(d[:4], "little"))
' "$T/up.bin") || fail "cannot read the victim's first datagram"
id=${ids% *} conv=${ids#* }
note "victim ClientID ${id%????????}..., conversation known"
"$PW_HELPERS/tt-attack" -k hijack "$egress_ep" "$id" "$conv" 3 >"$T/hijack.out" 2>"$T/hijack.err" ||
	fail "hijack: $(cat "$T/hijack.err")"
note "hijack: $(tr '\n' ' ' <"$T/hijack.out")"
for c in foreign zeros garbage; do
	grep -q "^$c bytes 0 closed 1\$" "$T/hijack.out" ||
		fail "carrier $c: $(grep "^$c" "$T/hijack.out")"
done
grep -q '^wask bytes 0 ' "$T/hijack.out" || fail "the probe's carrier: $(grep '^wask' "$T/hijack.out")"

pw_wait "$get_pid" 60
[ "$pw_rc" = 0 ] || fail "the victim's download: rc=$pw_rc: $(cat "$T/get.out")"
got=$(sed -n 's/.*sha256=//p' "$T/get.out")
[ "$got" = "$(pw_sha "$T/www/big.bin")" ] || fail "the victim's sha256: $(cat "$T/get.out")"
n=$(pw_metric "$T/admin.sock" 'egress_refused_total{reason="foreign_carrier"}')
[ "$n" -ge 1 ] || fail "foreign_carrier counted $n"
note "victim's download intact; foreign_carrier $n"
pw_stop client
pw_stop egress
pw_stop httpd
