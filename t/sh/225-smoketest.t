#!/bin/sh
# SPDX-License-Identifier: MIT
# scripts/smoketest-meek, the operator's end-to-end check, against the
# local stack (Caddy "tls internal" -> meek-server -> egress on a UNIX
# socket -> httpd): it succeeds and shows what the far side saw (httpd's
# /echo-ip); with a wrong token, or a front whose name the certificate does
# not match, it fails with a non-zero status and says so. Bad usage is 100.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-caddy.sh"

pw_meek_stack 1024
S=$PW_TOP/scripts/smoketest-meek
front="127.0.0.1:$caddy_port,sni=$caddy_host"
echo_url="http://127.0.0.1:$httpd_port/echo-ip"
# The stack's egress is secure (pw_egress): pin its key, present the test user.
pw_keys

SMOKETEST_TIMEOUT=20 "$S" "$meek_url" --front "$front" --ca "$caddy_ca" \
	--auth-token-file "$T/token" --fetch "$echo_url" \
	--egress-fingerprint "$pw_fingerprint" --credentials-file "$T/credentials" >"$T/smoke.out" 2>&1
rc=$?
sed 's/^/  | /' "$T/smoke.out"
[ "$rc" -eq 0 ] || fail "smoketest-meek exit $rc"
grep -q '^smoketest-meek: OK$' "$T/smoke.out" || fail "smoketest-meek did not say OK"
grep -q '^    127\.0\.0\.1$' "$T/smoke.out" || fail "smoketest-meek did not show what the far side saw"
grep -q 'round trip first byte after [0-9.]* s' "$T/smoke.out" || fail "no round-trip time"
note "smoketest-meek: OK against the local stack"

# PW_BIN unset: the programs come from PATH.
bin=$PW_BIN
(
	unset PW_BIN
	PATH="$bin:$PATH" SMOKETEST_TIMEOUT=20 exec "$S" "$meek_url" --front "$front" \
		--ca "$caddy_ca" --auth-token-file "$T/token" --fetch "$echo_url" \
		--egress-fingerprint "$pw_fingerprint" --credentials-file "$T/credentials"
) >"$T/path.out" 2>&1 ||
	fail "smoketest-meek with the programs in PATH: $(tail -n 5 "$T/path.out")"
note "smoketest-meek finds the programs in PATH"

od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$T/wrong"
SMOKETEST_TIMEOUT=20 "$S" "$meek_url" --front "$front" --ca "$caddy_ca" \
	--auth-token-file "$T/wrong" --fetch "$echo_url" \
	--egress-fingerprint "$pw_fingerprint" --credentials-file "$T/credentials" >"$T/wrong.out" 2>&1
rc=$?
[ "$rc" -ne 0 ] || fail "smoketest-meek succeeded with a wrong token"
grep -q 'FAIL\|did not start' "$T/wrong.out" || fail "wrong token: no clear message: $(tail -n 3 "$T/wrong.out")"
note "wrong token: exit $rc, $(grep -m 1 'FAIL\|did not start' "$T/wrong.out")"

SMOKETEST_TIMEOUT=20 "$S" "$meek_url" --front "127.0.0.1:$caddy_port,sni=$caddy_host,verify=other.test" \
	--ca "$caddy_ca" --auth-token-file "$T/token" --fetch "$echo_url" \
	--egress-fingerprint "$pw_fingerprint" --credentials-file "$T/credentials" >"$T/verify.out" 2>&1
rc=$?
[ "$rc" -ne 0 ] || fail "smoketest-meek succeeded with a certificate for another name"
note "certificate name mismatch: exit $rc"

"$S" >/dev/null 2>&1
rc=$?
[ "$rc" -eq 100 ] || fail "no arguments: exit $rc, want 100"
"$S" "$meek_url" --bogus >/dev/null 2>&1
rc=$?
[ "$rc" -eq 100 ] || fail "unknown option: exit $rc, want 100"
note "usage errors: 100"
pw_stop meek
