#!/bin/sh
# run-tests.sh unit|e2e|all [UNIT_BINARY...]
# Runs the cmocka unit tests (TAP output) and the pytest end-to-end tests
# from the repository root; the last line is "N passed, N failed".
set -u
mode=$1; shift
cd "$(dirname "$0")/../.." || exit 1
pass=0; fail=0
log=$(mktemp -d /tmp/mailtap-tests.XXXXXX)

if [ "$mode" = unit ] || [ "$mode" = all ]; then
	for t in "$@"; do
		name=$(echo "$t" | sed 's|.*/tests/unit/||')
		CMOCKA_MESSAGE_OUTPUT=TAP "$t" > "$log/unit.out" 2>&1
		rc=$?
		p=$(grep -c '^ok ' "$log/unit.out")
		f=$(grep -c '^not ok ' "$log/unit.out")
		if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi  # crashed
		pass=$((pass + p)); fail=$((fail + f))
		if [ "$f" != 0 ]; then
			echo "FAIL unit $name"; sed 's/^/    /' "$log/unit.out"
		else
			echo "ok   unit $name ($p)"
		fi
	done
fi
if [ "$mode" = e2e ] || [ "$mode" = all ]; then
	# Debian's interpreter, which has python3-pytest (not a PATH-first pyenv)
	/usr/bin/python3 -m pytest -q -rfE -p no:cacheprovider --junitxml="$log/e2e.xml" tests/e2e \
		> "$log/e2e.out" 2>&1
	cat "$log/e2e.out"
	p=$(grep -o 'tests="[0-9]*"' "$log/e2e.xml" | head -1 | tr -dc 0-9)
	f=$(grep -o 'failures="[0-9]*"' "$log/e2e.xml" | head -1 | tr -dc 0-9)
	e=$(grep -o 'errors="[0-9]*"' "$log/e2e.xml" | head -1 | tr -dc 0-9)
	s=$(grep -o 'skipped="[0-9]*"' "$log/e2e.xml" | head -1 | tr -dc 0-9)
	if [ -z "$p" ]; then p=0; f=1; e=0; s=0; fi  # pytest did not run
	pass=$((pass + p - f - e - s)); fail=$((fail + f + e))
fi
rm -rf "$log"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
