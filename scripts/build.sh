#!/usr/bin/env bash
# Configures (once) and builds cvanalyze into build/.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f build/build.ninja ]; then
  # Introspection enabled: the Python tests read the meta through it.
  meson setup build -Dintrospection=enabled
fi
meson compile -C build
