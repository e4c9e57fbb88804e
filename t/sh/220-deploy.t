#!/bin/sh
# SPDX-License-Identifier: MIT
# scripts/deploy: the production Caddyfile is valid for Caddy (with and
# without the environment it documents) and the systemd units pass
# systemd-analyze verify (skipped, with a note, where systemd cannot
# analyse units, for example in some containers).
. "$PW_TOP/t/lib.sh"

D=$PW_TOP/scripts/deploy
command -v caddy >/dev/null || fail "caddy not installed (scripts/install-deps)"
for f in Caddyfile meek-server.service egress.service README.md; do
	[ -s "$D/$f" ] || fail "scripts/deploy/$f is missing"
done

# caddy validate provisions modules but starts no listener and obtains no
# certificate; it still wants a writable HOME.
validate() {
	env HOME="$T" XDG_DATA_HOME="$T/data" XDG_CONFIG_HOME="$T/config" "$@" \
		caddy validate --adapter caddyfile --config "$D/Caddyfile" >"$T/validate.log" 2>&1 ||
		fail "caddy validate: $(tail -n 3 "$T/validate.log")"
	grep -q 'Valid configuration' "$T/validate.log" ||
		fail "caddy validate said: $(tail -n 3 "$T/validate.log")"
}
validate
note "Caddyfile valid with its defaults"
validate MEEK_HOST=meek.example.net ACME_EMAIL=ops@example.net MEEK_PATH=/poll/ \
	COVER_ROOT=/srv/www
note "Caddyfile valid with MEEK_HOST, ACME_EMAIL, MEEK_PATH, COVER_ROOT"

# The adapted JSON really routes the meek path to meek-server with
# streaming flush and everything else to the cover site.
env HOME="$T" XDG_DATA_HOME="$T/data" XDG_CONFIG_HOME="$T/config" MEEK_HOST=meek.example.net \
	caddy adapt --adapter caddyfile --config "$D/Caddyfile" >"$T/adapted.json" 2>"$T/adapt.err" ||
	fail "caddy adapt: $(tail -n 3 "$T/adapt.err")"
python3 - "$T/adapted.json" <<'PY' || fail "adapted Caddyfile: unexpected routes"
import json, sys
cfg = json.load(open(sys.argv[1]))
srv = cfg["apps"]["http"]["servers"]["srv0"]
text = json.dumps(srv)
assert "meek.example.net" in text, "host"
assert '"/meek/"' in text, "meek path"
assert '"flush_interval": -1' in text, "flush_interval -1"
assert '"127.0.0.1:7080"' in text, "meek-server upstream"
assert '"file_server"' in text, "cover site"
assert '"logs"' not in text, "an access log"
PY
note "Caddyfile routes: meek path -> 127.0.0.1:7080 with flush_interval -1, cover site, no access log"

# The units point at the installed programs; verify copies that point at
# programs that exist here.
if ! command -v systemd-analyze >/dev/null 2>&1; then
	note "SKIP systemd-analyze verify: systemd-analyze not installed"
	exit 0
fi
for u in egress meek-server; do
	sed "s#/usr/local/bin/#$PW_BIN/#" "$D/$u.service" >"$T/$u.service"
	grep -q "^ExecStart=$PW_BIN/$u " "$T/$u.service" || fail "$u.service: ExecStart is not /usr/local/bin/$u"
done
# Make the ExecStart binaries exist even when a program is not built yet.
for u in egress meek-server; do
	[ -x "$PW_BIN/$u" ] || sed -i "s#^ExecStart=$PW_BIN/$u #ExecStart=/bin/true #" "$T/$u.service"
done
if systemd-analyze verify --man=no "$T/egress.service" "$T/meek-server.service" \
	>"$T/verify.log" 2>&1; then
	note "systemd-analyze verify: both units ok"
elif grep -qi 'failed to .*\(bus\|manager\|initialize\|set up\)\|not been booted\|Operation not permitted' \
	"$T/verify.log"; then
	note "SKIP systemd-analyze verify cannot run here: $(head -n 1 "$T/verify.log")"
else
	fail "systemd-analyze verify: $(cat "$T/verify.log")"
fi
for k in DynamicUser=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes NoNewPrivileges=yes \
	RestrictAddressFamilies= 'CapabilityBoundingSet=$' SystemCallFilter=@system-service MemoryMax= \
	LimitNOFILE= Group=pipeworks; do
	for u in egress meek-server; do
		grep -q "^$k" "$D/$u.service" || fail "$u.service lacks $k"
	done
done
grep -q '^RuntimeDirectory=pipeworks-egress' "$D/egress.service" || fail "egress.service: no RuntimeDirectory"
for c in egress-key egress-users; do
	grep -q "^LoadCredential=$c:/etc/pipeworks/" "$D/egress.service" || fail "egress.service: no LoadCredential $c"
done
grep -q -- '--key %d/egress-key --users %d/egress-users' "$D/egress.service" ||
	fail "egress.service: the key and users are not read from the credentials directory"
grep -q '^LoadCredential=meek-auth-token:' "$D/meek-server.service" || fail "meek-server.service: no LoadCredential"
grep -q -- '--auth-token-file %d/meek-auth-token' "$D/meek-server.service" ||
	fail "meek-server.service: the token is not read from the credentials directory"
note "sandboxing options present in both units"
