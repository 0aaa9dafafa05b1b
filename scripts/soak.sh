#!/usr/bin/env bash
# cvanalyze soak: live 720p30 for an hour (or MINUTES) against the local
# server misbehaving as a busy, rate-limited service does: one request in
# three answered 503, one in RESET_EVERY reset (TCP RST), and at most
# QUOTA requests in any minute, the rest answered 429 with Retry-After.
# Prints every minute: RSS, frames delivered vs expected, captions vs
# samples, retries, 429s, the rate in effect and the breaker's state; then
# a summary against the goals (no frame lost, captions >= 95 % of what the
# faults allow; RSS is judged by eye from the minutes). Not part of CI's
# default run.
#
#   scripts/soak.sh [MINUTES]        # default 60
#   QUOTA=80 FAIL_EVERY=3 RESET_EVERY=47 scripts/soak.sh 3
set -euo pipefail
cd "$(dirname "$0")/.."

minutes=${1:-60}
quota=${QUOTA:-80}
fail_every=${FAIL_EVERY:-3}
reset_every=${RESET_EVERY:-47}

if [ ! -x build/tools/cvanalyze-local-server ]; then
  meson setup build >/dev/null
fi
meson compile -C build >/dev/null
export GST_PLUGIN_PATH="$PWD/build/gst"

fifo=$(mktemp -u); mkfifo "$fifo"
build/tools/cvanalyze-local-server --port 0 --fail-every "$fail_every" \
  --fail-every-status 503 --reset-every "$reset_every" --quota "$quota" \
  --retry-after-form seconds >"$fifo" &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
read -r line <"$fifo"; rm -f "$fifo"
url="${line##* }"

echo "soak: $minutes min of live 1280x720 at 30 fps, $(git rev-parse --short HEAD 2>/dev/null || echo '?')," \
  "server: 503 for 1 request in $fail_every, reset 1 in $reset_every, quota $quota a minute (429 + Retry-After)"
/usr/bin/python3 scripts/soak-monitor.py "$url" "$minutes" "$quota" \
  "$fail_every" "$reset_every"
