#!/usr/bin/env bash
# Installs the Debian packages cvanalyze needs to build, test and run its
# demo. Idempotent: installs only what is missing, and asks apt nothing when
# everything is there. Needs root (or sudo) only when something is missing.
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

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
