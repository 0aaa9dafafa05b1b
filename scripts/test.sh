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

# meson writes one JSON object per test to testlog.json.
read -r passed failed < <(/usr/bin/python3 - build/meson-logs/testlog.json <<'PY'
import json, sys
passed = failed = 0
for line in open(sys.argv[1]):
    result = json.loads(line)["result"]
    if result in ("OK", "EXPECTEDFAIL", "SKIP"):
        passed += result != "SKIP"
    else:
        failed += 1
print(passed, failed)
PY
)
echo "${passed:-0} passed, ${failed:-0} failed"
if [ "$status" -ne 0 ] || [ "${failed:-1}" -ne 0 ] || [ "${passed:-0}" -eq 0 ]; then
  exit 1
fi
