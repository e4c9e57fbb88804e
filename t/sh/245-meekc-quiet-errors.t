#!/bin/sh
# SPDX-License-Identifier: MIT
# meek-client logs no "stray bytes" for the body of a non-200 answer (it
# frames such an answer by its head and closes the connection, so the body
# is expected): not for a front's 503 error pages that it retries before
# the session goes on, and not for a 404 page that ends it.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-meekc.sh"

# Two 503 pages, then service: the data gets through after two retries.
head -c 20000 /dev/urandom >"$T/busy.in"
meekc_fake busy busy:2
meekc_run busy 0 30 --url "http://127.0.0.1:$meekc_fake_port/" --insecure-plaintext -v
[ "$(pw_sha "$T/busy.in")" = "$(pw_sha "$T/busy.got")" ] || fail "busy: output differs"
[ "$(grep -c 'retry' "$T/busy.err")" -ge 2 ] || fail "busy: retries not logged: $(cat "$T/busy.err")"
grep -q 'stray' "$T/busy.err" && fail "busy: $(grep 'stray' "$T/busy.err")"
note "busy: $(grep -c 'retry' "$T/busy.err") retries logged, no stray-bytes line"

# A 404 page ends it (111) with its one line, and no stray-bytes line.
meekc_fake page404 page404
echo hello >"$T/page404.in"
meekc_run page404 111 10 --url "http://127.0.0.1:$meekc_fake_port/wrong" --insecure-plaintext
grep -q 'not a meek server: 404' "$T/page404.err" || fail "page404: $(cat "$T/page404.err")"
grep -q 'stray' "$T/page404.err" && fail "page404: $(grep 'stray' "$T/page404.err")"
exit 0
