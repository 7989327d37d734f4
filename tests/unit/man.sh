#!/bin/sh
# man.sh: doc/prodrec.8 renders with groff -ww without a single warning,
# and documents every configuration key of src/config.c's table and every
# option of prodrec --help (TAP, for make check).
srcdir=${srcdir:-.}
page=$srcdir/doc/prodrec.8
n=0
failed=0
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}

warnings=$(groff -ww -mandoc -Tutf8 "$page" 2>&1 >/dev/null)
[ -z "$warnings" ]
ok $? "groff -ww renders doc/prodrec.8 silently${warnings:+: $warnings}"

# Each key of the table: a line "{ \"name\", ..." in src/config.c.
keys=$(sed -n 's/^[[:space:]]*{ "\([a-z_]*\)",.*/\1/p' "$srcdir/src/config.c")
[ "$(printf '%s\n' $keys | wc -l)" -ge 20 ]
ok $? "src/config.c's table read: $(printf '%s\n' $keys | wc -l) keys"
for key in $keys; do
	grep -q "^\.It Ic $key\( \|$\)" "$page"
	ok $? "configuration key $key has an entry"
done

# Each long option of --help.
help=$(./src/prodrec --help)
ok $? "prodrec --help runs"
opts=$(printf '%s\n' "$help" | sed -n 's/^  --\([a-z-]*\).*/\1/p')
[ "$(printf '%s\n' $opts | wc -l)" -ge 6 ]
ok $? "--help read: $(printf '%s\n' $opts | wc -l) options"
for opt in $opts; do
	grep -q "^\.It Fl -$opt\( \|$\)" "$page"
	ok $? "option --$opt has an entry"
done
echo "1..$n"
[ "$failed" -eq 0 ]
