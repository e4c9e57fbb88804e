#!/bin/sh
# SPDX-License-Identifier: MIT
# The command line every program shares: -h prints the usage on stdout
# and exits 0, --version prints "NAME VERSION" (the top-level VERSION
# file) and exits 0, an unknown option is a usage error (exit 100, one
# "NAME: …" line and the usage on stderr), and the usage text is the
# man page's SYNOPSIS, word for word.
. "$PW_TOP/t/lib.sh"

version=$(cat "$PW_TOP/VERSION") || fail "no VERSION file"
bs=$(printf '\b')

# words: whitespace collapsed to single spaces, no leading "usage:".
words() {
	tr -s ' \t\n' '   ' | sed -e 's/^ *//' -e 's/ *$//' -e 's/^usage: //'
}

# synopsis PAGE: the SYNOPSIS section as mandoc renders it, as words.
synopsis() {
	mandoc -Tascii "$1" | sed "s/.$bs//g" |
		awk '/^SYNOPSIS/ { p = 1; next } /^[A-Z]/ { p = 0 } p' | words
}

n=0
for prog in "$PW_BIN"/*; do
	[ -x "$prog" ] || continue
	name=$(basename "$prog")
	page=""
	for f in "$PW_TOP/man/$name".1 "$PW_TOP/man/$name".8; do
		[ -f "$f" ] && page=$f
	done
	[ -n "$page" ] || fail "$name: no man page in man/"

	"$prog" -h >"$T/$name.help" 2>"$T/$name.err" || fail "$name -h: exit $?"
	[ -s "$T/$name.err" ] && fail "$name -h: wrote to stderr"
	head -n 1 "$T/$name.help" | grep -q "^usage: $name " || fail "$name -h: no usage line on stdout"
	"$prog" --help | cmp -s - "$T/$name.help" || fail "$name: --help differs from -h"

	got=$("$prog" --version 2>"$T/$name.err") || fail "$name --version: exit $?"
	[ "$got" = "$name $version" ] || fail "$name --version: '$got', want '$name $version'"

	"$prog" --no-such-option >"$T/$name.out" 2>"$T/$name.err"
	rc=$?
	[ "$rc" -eq 100 ] || fail "$name --no-such-option: exit $rc, want 100"
	[ -s "$T/$name.out" ] && fail "$name --no-such-option: wrote to stdout"
	head -n 1 "$T/$name.err" | grep -q "^$name: .*--no-such-option" ||
		fail "$name --no-such-option: first line '$(head -n 1 "$T/$name.err")'"
	sed -n 2p "$T/$name.err" | grep -q "^usage: $name " ||
		fail "$name --no-such-option: no usage after the reason"

	usage=$(words <"$T/$name.help")
	syn=$(synopsis "$page")
	[ -n "$syn" ] || fail "$name: empty SYNOPSIS in $page"
	[ "$usage" = "$syn" ] || fail "$name: usage and SYNOPSIS differ:
    usage:    $usage
    SYNOPSIS: $syn"
	# The comparison can fail: one word changed must be caught.
	[ "$(printf '%s' "$usage" | sed 's/ [^ ]*$/ [--x]/')" != "$syn" ] ||
		fail "$name: a changed usage still matched the SYNOPSIS"
	note "$name: -h, --version, unknown option and SYNOPSIS ok"
	n=$((n + 1))
done
[ "$n" -ge 6 ] || fail "only $n programs in $PW_BIN"
