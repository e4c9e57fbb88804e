#!/bin/sh
# SPDX-License-Identifier: MIT
# lanturn-egress, video profile (audio at 50 pps plus 30 fps frames whose
# bitrate follows demand up to 2.5 Mbit/s): a 2 MB download,
# sha256-exact; and opus with --camera, which turns video on while data
# waits: the same file, faster than opus alone could carry it.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-lanturn.sh"

lanturn_up 2000000
lanturn_client client video
t0=$(date +%s.%N)
pw_fetch video big.bin --socks5-hostname "127.0.0.1:$client_port" "$url/big.bin"
t1=$(date +%s.%N)
note "video: 2000000 bytes in $(echo "$t1 - $t0" | bc) s"
pw_stop client
lanturn_client camera opus --camera
t0=$(date +%s.%N)
pw_fetch camera big.bin --socks5-hostname "127.0.0.1:$client_port" "$url/big.bin"
t1=$(date +%s.%N)
note "opus with camera: 2000000 bytes in $(echo "$t1 - $t0" | bc) s"
