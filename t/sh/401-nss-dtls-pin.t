#!/bin/sh
# SPDX-License-Identifier: MIT
# common/nss fingerprint pinning refuses a peer whose certificate differs:
# a client pinning another fingerprint fails the handshake (exit 1, a
# reason naming the fingerprint) and gets no keys; a server pinning
# another client fingerprint refuses that client; a malformed pin is a
# usage error.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-nss.sh"

wrong=sha256:$(printf '%064d' 0)

nss_server srv --timeout 3
"$PEER" --client "127.0.0.1:$nss_port" --fingerprint "$wrong" --timeout 5 \
	>"$T/cli.out" 2>"$T/cli.err"
rc=$?
cat "$T/cli.out" "$T/cli.err"
[ "$rc" -eq 1 ] || fail "client with a wrong pin: exit $rc, want 1"
grep -q 'fingerprint differs' "$T/cli.out" || fail "reason does not name the fingerprint"
grep -q '^export' "$T/cli.out" && fail "keys exported despite the wrong pin"
pw_wait "$nss_pid" 10
[ "$pw_rc" = 0 ] && fail "server reported success with a refused client"

nss_server srv2 --fingerprint "$wrong" --timeout 3
"$PEER" --client "127.0.0.1:$nss_port" --timeout 5 >"$T/cli2.out" 2>"$T/cli2.err"
rc=$?
[ "$rc" -ne 0 ] || fail "server with a wrong pin let the client through"
pw_wait "$nss_pid" 10
pw_wait "$nss_cat" 5
grep -q 'fingerprint differs' "$T/srv2.out" || fail "server: reason does not name the fingerprint"

"$PEER" --client 127.0.0.1:9 --fingerprint sha256:abc >/dev/null 2>&1
rc=$?
[ "$rc" -eq 100 ] || fail "malformed pin: exit $rc, want 100"
exit 0
