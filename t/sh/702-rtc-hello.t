#!/bin/sh
# SPDX-License-Identifier: MIT
# What a censor sees of our WebRTC peers: the capture of a whole
# connection in the namespace. The answerer's DTLS ClientHello equals
# Firefox's WebRTC hello capped at DTLS 1.2 field for field (JA3/JA4
# included, t/helpers/hello-compare against t/data/cover); the ICE
# checks carry no SOFTWARE attribute and Firefox's credential shape
# (8:8 hex digits in USERNAME), and every request has the attributes a
# browser's has. libnice orders them PRIORITY, ICE-CONTROLL*, USERNAME
# where Firefox writes USERNAME first: printed, not asserted (libnice
# does not let us choose; common/ice/README.md).
. "$PW_TOP/t/lib-rtc.sh"
rtc_netns
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-rtc.sh"
. "$PW_TOP/t/lib-nss.sh"
nss_need_capture
rtc_veth

rtc_fifos
nss_capture_start udp
rtc_offer --hold --timeout 30
rtc_answer --hold --timeout 30
rtc_wait_open 20
kill -TERM "$rtc_off_pid" "$rtc_ans_pid"
pw_wait "$rtc_off_pid" 10
pw_wait "$rtc_ans_pid" 10
nss_capture_stop 10
for ref in nss-firefox-dtls12 webrtc-firefox-dtls12max; do
	note "against $ref"
	"$HELLO_COMPARE" "$T/cap.pcap" "$COVER/$ref.txt" >"$T/cmp-$ref" 2>&1
	rc=$?
	cat "$T/cmp-$ref"
	[ "$rc" -eq 0 ] || fail "ClientHello differs from $ref"
done

tshark -r "$T/cap.pcap" -Y 'stun.type == 0x0001' -T fields -e stun.att.type -e stun.att.username \
	>"$T/checks" 2>/dev/null || fail "tshark read"
[ -s "$T/checks" ] || fail "no ICE check captured"
note "$(wc -l <"$T/checks") checks; attribute types of the first: $(head -n 1 "$T/checks" | cut -f1)"
while IFS="$(printf '\t')" read -r types user; do
	case ",$types," in
	*,0x8022,*) fail "SOFTWARE attribute in an ICE check: $types" ;;
	esac
	for a in 0x0006 0x0024 0x0008 0x8028; do
		case ",$types," in
		*",$a,"*) ;;
		*) fail "attribute $a missing from a check: $types" ;;
		esac
	done
	case ",$types," in
	*,0x8029,* | *,0x802a,*) ;;
	*) fail "no ICE-CONTROLLED/-CONTROLLING: $types" ;;
	esac
	echo "$user" | grep -Eqx '[0-9a-f]{8}:[0-9a-f]{8}' || fail "USERNAME $user is not Firefox's shape"
done <"$T/checks"
exit 0
