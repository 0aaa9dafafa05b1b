#!/usr/bin/env bash
# The cvanalyze demo: installs what is missing, builds, starts the bundled
# local analysis server on a free loopback port and captions a moving test
# pattern, printing each caption as it arrives. Exits by itself after
# about ten seconds of video.
#
# Against Azure instead: AZURE_VISION_ENDPOINT=https://<resource>.cognitiveservices.azure.com/ \
#   AZURE_VISION_KEY=... scripts/demo.sh
# Another protocol of the local server: DEMO_API=azure-image-analysis or
#   DEMO_API=openai scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
bash scripts/build.sh >/dev/null

export GST_PLUGIN_PATH="$PWD/build/gst${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"

endpoint="${AZURE_VISION_ENDPOINT:-${VISION_ENDPOINT:-}}"
if [ -z "$endpoint" ]; then
  coproc SERVER { exec build/tools/cvanalyze-local-server --port 0; }
  trap 'kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null || true' EXIT
  read -r line <&"${SERVER[0]}"
  endpoint="${line##* }"
  echo "demo: local analysis server at $endpoint (colour analysis, not Azure)"
fi

case "${DEMO_API:-azure-cv}" in
  azure-cv) service="endpoint=$endpoint features=Description,Tags,Color" ;;
  azure-image-analysis) service="api=azure-image-analysis endpoint=$endpoint" ;;
  openai) service="api=openai endpoint=${endpoint%/}/v1 model=local-vision features=caption,tags" ;;
  *) echo "demo: DEMO_API is azure-cv, azure-image-analysis or openai" >&2; exit 2 ;;
esac

# Colour bars scrolling sideways behind a narrow window: the colour in
# view changes about once a second.
build/examples/cvanalyze-captions \
  "videotestsrc is-live=true num-buffers=300 pattern=smpte75 horizontal-speed=3 ! \
   video/x-raw,width=640,height=360,framerate=30/1 ! videocrop right=560 ! \
   cvanalyze $service ! fakesink"
