#!/bin/sh
# SPDX-License-Identifier: MIT
# peer-client's failures are one line and exit 111, so socks-client moves
# on: a broker with no volunteer (the broker's own error text), a web
# server that is not a broker, a closed port; and the usage errors exit
# 100. A network namespace of its own (libnice gathers nothing on lo).
if [ -z "${RDV_IN_NETNS:-}" ]; then
	command -v unshare >/dev/null || { echo "unshare missing"; exit 1; }
	exec env RDV_IN_NETNS=1 unshare -n sh "$0" "$@"
fi
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-turn.sh"
. "$PW_TOP/t/lib-rdv.sh"

sf_netns_setup
turn_start
pw_httpd 1000
pw_start rdv 1 "$PW_BIN/rendezvous" -q -l tcp:127.0.0.1:0 --relay ws://127.0.0.1:9/ --client-wait 1
rdv_port=$pw_port

# try NAME BROKER WANT: peer-client exits 111 and its last line matches WANT.
try() {
	"$PW_BIN/peer-client" --broker "$2" --stun "stun:127.0.0.1:$turn_port" --broker-timeout 10 \
		</dev/null >/dev/null 2>"$T/$1.err"
	rc=$?
	[ "$rc" = 111 ] || fail "$1: exit $rc, want 111: $(cat "$T/$1.err")"
	[ "$(wc -l <"$T/$1.err")" = 1 ] || fail "$1: more than one line: $(cat "$T/$1.err")"
	grep -q "$3" "$T/$1.err" || fail "$1: $(cat "$T/$1.err"), want $3"
	note "$1: $(cat "$T/$1.err")"
}
try none "http://127.0.0.1:$rdv_port/" "^peer-client: broker: no snowflake proxies currently available$"
try web "http://127.0.0.1:$httpd_port/" "^peer-client: broker: status 405, no answer$"
try closed "http://127.0.0.1:9/" "^peer-client: broker: Connection refused$"

for args in "--broker http://127.0.0.1:9/" "--stun stun:127.0.0.1:3478" \
	"--broker ftp://x/ --stun stun:127.0.0.1:3478" "--broker http://x/ --stun stun:name:port" \
	"--broker http://x/ --stun stun:127.0.0.1:3478 --broker-ca /dev/null" \
	"--broker https://x/ --stun stun:127.0.0.1:3478 --broker-front a:b" \
	"--broker http://x/ --stun stun:127.0.0.1:3478 --nat odd"; do
	# shellcheck disable=SC2086 # the arguments are split on purpose
	"$PW_BIN/peer-client" $args </dev/null >/dev/null 2>"$T/usage.err"
	rc=$?
	[ "$rc" = 100 ] || fail "peer-client $args: exit $rc, want 100"
done
pw_stop rdv
exit 0
