#!/bin/sh
# SPDX-License-Identifier: MIT
# What the HTTPS persona looks like on the wire: our TLS client's
# ClientHello, captured on lo, against Firefox ESR 153's (without SNI and
# with SNI). With Debian's NSS 3.87 two things cannot match and are
# reported, not failed: X25519MLKEM768 (group and key share) and
# compress_certificate, which 3.87 lacks, and what follows from them
# (lengths, JA3, JA4's extension hash). Everything else must be equal.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-nss.sh"

nss_need_capture
# Fields that 3.87 cannot produce, and those computed from them.
derived="handshake_len extensions supported_groups key_shares cert_compression"
derived="$derived JA3 JA3_string JA4 JA4_R JA4_O JA4_RO server_hello"
n=0
for case in tls-firefox tls-firefox-sni; do
	n=$((n + 1))
	sni=""
	[ "$case" = tls-firefox-sni ] && sni="--sni cover.test"
	nss_server "srv$n" --tls
	nss_capture_start "tcp port $nss_port"
	# shellcheck disable=SC2086 # $sni is empty or two words
	"$PEER" --tls --client "127.0.0.1:$nss_port" $sni >"$T/cli-$case.out" 2>"$T/cli.err" ||
		fail "client exit $?"
	pw_wait "$nss_pid" 10
	nss_capture_stop 8
	"$HELLO_COMPARE" --report "$T/cap.pcap" "$COVER/$case.txt" >"$T/cmp" 2>&1 ||
		fail "hello-compare: $(cat "$T/cmp")"
	note "against $case: $(grep '^equal' "$T/cmp"), $(grep '^JA4' "$T/cmp")"
	grep '^!' "$T/cmp" | cut -c1-160
	grep '^!' "$T/cmp" | sed 's/^! \([^:]*\):.*/\1/' | tr ' ' _ | while read -r f; do
		case " $derived " in
		*" $f "*) ;;
		*) echo "$f" ;;
		esac
	done >"$T/unexpected"
	[ -s "$T/unexpected" ] && fail "$case: fields differ beyond ML-KEM and certificate compression: $(cat "$T/unexpected")"
done
exit 0
