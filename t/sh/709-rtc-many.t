#!/bin/sh
# SPDX-License-Identifier: MIT
# Many connections in one process, as a volunteer serving several
# clients will hold them: 25 offerer/answerer pairs (50 peer
# connections, 50 GLib contexts on one libev loop, 50 SCTP associations
# on one usrsctp) open, exchange 100 messages of 1200 bytes each way,
# checked byte for byte, and are freed (ASan: nothing leaks). Memory per
# connection is printed and bounded (measured about 0.6 MB; the bound,
# 4 MB, is checked without sanitizers only).
. "$PW_TOP/t/lib-rtc.sh"
rtc_netns
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-rtc.sh"
rtc_veth

"$PW_HELPERS/rtc-many" --pairs 25 --msgs 100 --size 1200 --timeout 60 >"$T/many.out" 2>"$T/many.err"
rc=$?
cat "$T/many.out"
[ "$rc" = 0 ] || fail "rtc-many exit $rc"
grep -q '^done 25 ' "$T/many.out" || fail "not every pair finished"
per=$(sed -n 's/^per-connection-kb //p' "$T/many.out")
note "$per kB per connection ($(grep '^open' "$T/many.out"))"
case $PW_BIN in
*build-san*) note "sanitizer build: memory bound not checked" ;;
*) [ "$per" -lt 4096 ] || fail "$per kB per connection" ;;
esac
grep -q Sanitizer "$T/many.err" && fail "sanitizer report"
exit 0
