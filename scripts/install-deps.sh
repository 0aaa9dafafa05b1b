#!/usr/bin/env bash
# Installs the Debian packages cvanalyze needs to build, test and run its
# demo, and the npm packages of the official-SDK test (tests/sdk).
# Idempotent: installs only what is missing, and asks apt and npm nothing
# when everything is there. Needs root (or sudo) only when a Debian package
# is missing.
set -euo pipefail

packages=(
  meson ninja-build pkg-config gcc libc6-dev
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  libsoup-3.0-dev libjson-glib-dev libturbojpeg0-dev libyuv-dev
  libpango1.0-dev fonts-dejavu-core
  # textoverlay (pango plugin), webvttenc and srtenc: what text_src feeds
  gstreamer1.0-x gstreamer1.0-plugins-bad
  valgrind
  # the local server's Read answers: real OCR (tools/cvread.c)
  libtesseract-dev tesseract-ocr-eng
  python3-gi python3-gst-1.0 gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0
  # the meta library's typelib, through which Python reads the meta
  gobject-introspection libgirepository1.0-dev
  ca-certificates
)

# The official client SDKs' test (tests/sdk) runs on node; Debian's nodejs
# and npm unless both are there already (e.g. a newer node from elsewhere).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
else
  echo "install-deps: installing ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The SDKs themselves, as package-lock.json pins them; again only when
# node_modules was not installed from this very lock file.
sdk="$(dirname "$0")/../tests/sdk"
if cmp -s "$sdk/package-lock.json" "$sdk/node_modules/.installed-lock.json"; then
  echo "install-deps: the SDK test's npm packages present"
else
  echo "install-deps: npm ci in tests/sdk"
  # A failure fails the install, as apt's does: the suite must run that
  # test, not skip it.
  (cd "$sdk" && npm ci --no-audit --no-fund --ignore-scripts) || {
    echo "install-deps: npm ci in tests/sdk failed (is the npm registry reachable?)" >&2
    exit 1
  }
  cp "$sdk/package-lock.json" "$sdk/node_modules/.installed-lock.json"
fi
