#!/usr/bin/env bash
# Runs the whole cvanalyze test suite: installs what is missing, builds, runs
# every test (unit, element, lifecycle under valgrind, Python) and ends
# with a line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh || exit 1
bash scripts/build.sh || exit 1

meson test -C build --print-errorlogs "$@"
status=$?

# Count single test cases, not test programs: GstCheck prints "Checks: N,
# Failures: F, Errors: E", unittest "Ran N tests" and node's test runner
# (TAP) "# pass P" and "# fail F"; a program that died
# before its summary counts as one failure, and one without any summary
# (the fuzz target) as one test, passed or failed by its exit status.
read -r passed failed < <(/usr/bin/python3 - build/meson-logs/testlog.json <<'PY'
import json, re, sys
passed = failed = 0
for line in open(sys.argv[1]):
    test = json.loads(line)
    out = (test.get("stdout") or "") + (test.get("stderr") or "")
    ok = test["result"] in ("OK", "EXPECTEDFAIL")
    if test["result"] == "SKIP":
        print("skipped:", test["name"], file=sys.stderr)
        continue
    p = f = 0
    checks = re.findall(r"Checks: (\d+), Failures: (\d+), Errors: (\d+)", out)
    ran = re.findall(r"Ran (\d+) tests?", out)
    tap = re.findall(r"^# pass (\d+)\n# fail (\d+)$", out, re.M)
    if checks:
        n, bad, err = map(int, checks[-1])
        p, f = n - bad - err, bad + err
    elif ran:
        n = int(ran[-1])
        bad = sum(map(int, re.findall(r"(?:failures|errors)=(\d+)", out)))
        p, f = n - bad, bad
    elif tap:
        p, f = map(int, tap[-1])
    elif ok:
        p = 1
    # A program that failed with all its cases passing (valgrind, a crash
    # after the summary) is one more failure.
    if not ok and f == 0:
        f = 1
    passed += p
    failed += f
print(passed, failed)
PY
)
echo "${passed:-0} passed, ${failed:-0} failed"
if [ "$status" -ne 0 ] || [ "${failed:-1}" -ne 0 ] || [ "${passed:-0}" -eq 0 ]; then
  exit 1
fi
