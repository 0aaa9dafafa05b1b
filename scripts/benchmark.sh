#!/usr/bin/env bash
# cvanalyze benchmark: every figure is a ratio to a reference measured in
# the same run on the same machine, because absolute times on a shared
# 2-core machine mean little. Not a test: it prints, it does not judge.
#
#   scripts/benchmark.sh            # all eleven, ~20 minutes
#   scripts/benchmark.sh 1 8 9      # only those rows
#   BENCH_QUICK=1 scripts/benchmark.sh   # shorter runs, rougher figures
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh >/dev/null
bash scripts/build.sh >/dev/null
export GST_PLUGIN_PATH="$PWD/build/gst"
bench=build/tests/bench/pipeline-bench
quick=${BENCH_QUICK:-0}
rows=" $* "
row() { [ "$rows" = "  " ] || [[ "$rows" == *" $1 "* ]]; }
mins=$(( quick ? 2 : 10 ))  # rows 4 and 6

servers=()
trap 'for p in "${servers[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
start_server() {  # start_server ARGS... ; sets $url
  local fifo
  fifo=$(mktemp -u); mkfifo "$fifo"
  build/tools/cvanalyze-local-server --port 0 "$@" >"$fifo" &
  servers+=($!)
  read -r line <"$fifo"; rm -f "$fifo"
  url="${line##* }"
}
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }

if row 1; then
echo "== 1. per-frame cost on frames that are not sampled, vs identity"
# One sample at the start (to a server that never answers), then only
# frames that are not sampled; CPU time of the whole process, median of
# alternating runs.
start_server --hang
frames=$(( quick ? 100000 : 300000 ))
src="videotestsrc num-buffers=$frames pattern=black ! video/x-raw,format=I420,width=64,height=64,framerate=1000/1"
ref=(); cva=()
for i in 1 2 3 4 5; do
  ref+=("$($bench "$src ! identity ! fakesink name=sink sync=false" | field cpu)")
  cva+=("$($bench "$src ! cvanalyze endpoint=$url interval=100000000000000 timeout=1000000000 ! fakesink name=sink sync=false" | field cpu)")
done
r=$(printf '%s\n' "${ref[@]}" | median); c=$(printf '%s\n' "${cva[@]}" | median)
echo "identity: ${r}s  cvanalyze: ${c}s  for $frames frames"
echo "unsampled-ratio: $(ratio "$c" "$r") (cvanalyze / identity; goal <= 1.05)"

fi

if row 2; then
echo "== 2. preparing one sampled 1920x1080 I420 frame, vs videoscale ! jpegenc; each camera format, vs I420"
build/tests/bench/encode-ratio $(( quick ? 30 : 100 ))

fi

if row 3; then
echo "== 3. frame rate with a server that answers after 2 s, vs no cvanalyze"
start_server --delay-ms 2000
secs=$(( quick ? 5 : 20 ))
live="videotestsrc is-live=true num-buffers=$(( secs * 30 )) ! video/x-raw,width=1280,height=720,framerate=30/1"
f0=$($bench "$live ! fakesink name=sink sync=true" | field fps)
f1=$($bench "$live ! cvanalyze endpoint=$url interval=0 ! fakesink name=sink sync=true" | field fps)
echo "without: ${f0} fps  with cvanalyze (every frame sampled): ${f1} fps"
echo "fps-ratio: $(ratio "$f1" "$f0") (goal >= 0.98)"

fi

if row 4; then
echo "== 4. resident memory over 10 minutes of stream time, server never answers"
# Non-live, so that 10 minutes of stream take ~2 minutes: every sample
# waits for a slot at most 'timeout' (200 ms), and each request times out.
start_server --hang
$bench --rss-every 60 "videotestsrc num-buffers=$(( mins * 60 * 30 )) pattern=ball ! video/x-raw,width=640,height=360,framerate=30/1 ! cvanalyze endpoint=$url timeout=200000000 ! fakesink name=sink sync=false" | grep rss

fi

if row 5; then
echo "== 5. caption outputs: CPU per frame, vs textoverlay and vs an unlinked text_src"
# 1280x720 frames with a caption on every one (mode=exact: the first frame
# already has its result). overlay=true against textoverlay drawing the
# same text at the same size (40 px: 30 pt at Pango's 96 dpi) on a shaded
# background, as overlay=true draws it; text_src linked (per-frame, into a
# fakesink) against left unlinked.
start_server
frames=$(( quick ? 300 : 1000 ))
src="videotestsrc num-buffers=$frames pattern=smpte75 ! video/x-raw,format=I420,width=1280,height=720,framerate=30/1"
cap="a mostly green image with blue and yellow"
tov=(); ovl=(); unl=(); lnk=()
for i in 1 2 3; do
  tov+=("$($bench "$src ! textoverlay text=\"$cap\" font-desc=\"Sans Bold 30\" shaded-background=true ! fakesink name=sink sync=false" | field cpu)")
  ovl+=("$($bench "$src ! cvanalyze endpoint=$url mode=exact interval=100000000000000 overlay=true ! fakesink name=sink sync=false" | field cpu)")
  unl+=("$($bench "$src ! cvanalyze endpoint=$url mode=exact interval=100000000000000 ! fakesink name=sink sync=false" | field cpu)")
  lnk+=("$($bench "$src ! cvanalyze name=a endpoint=$url mode=exact interval=100000000000000 ! fakesink name=sink sync=false a.text_src ! queue ! fakesink sync=false" | field cpu)")
done
t=$(printf '%s\n' "${tov[@]}" | median); o=$(printf '%s\n' "${ovl[@]}" | median)
u=$(printf '%s\n' "${unl[@]}" | median); l=$(printf '%s\n' "${lnk[@]}" | median)
echo "textoverlay: ${t}s  overlay=true: ${o}s  text_src unlinked: ${u}s  linked: ${l}s  for $frames frames"
echo "overlay-ratio: $(ratio "$o" "$t") (cvanalyze overlay=true / textoverlay)"
echo "text-src-ratio: $(ratio "$l" "$u") (text_src linked per-frame / unlinked)"

fi

if row 6; then
echo "== 6. mode=exact, resident memory over 10 minutes of stream time, server slower than the bound"
# Every analysed frame (one per second) is held 200 ms and misses its 1 s
# answer: memory must stay flat.
start_server --delay-ms 1000
$bench --rss-every 60 "videotestsrc num-buffers=$(( mins * 60 * 30 )) pattern=ball ! video/x-raw,width=640,height=360,framerate=30/1 ! cvanalyze endpoint=$url mode=exact timeout=200000000 ! fakesink name=sink sync=false" | grep rss

fi

if row 7; then
echo "== 7. a 1080p YUY2 camera straight into cvanalyze, vs through videoconvert"
# Camera-shaped: 1920x1080 YUY2 at 30/1 whose frames cost nothing to make
# (imagefreeze pushes one frame again and again, as a camera hands out its
# buffers), sampled once a second by cvanalyze against the local server.
# The reference is what users had to write before cvanalyze took YUY2:
# videoconvert to Y42B, the format it negotiated then. CPU time of the whole
# process, median of alternating runs.
start_server
frames=$(( quick ? 300 : 900 ))
# The caps after imagefreeze hold it to 30/1 (left alone it negotiates its
# default 25/1, and 900 frames would be 36 s: 36 samples, not 30).
src="videotestsrc num-buffers=1 pattern=smpte ! video/x-raw,format=YUY2,width=1920,height=1080,framerate=30/1 ! imagefreeze num-buffers=$frames ! video/x-raw,framerate=30/1"
dir=(); cnv=()
for i in 1 2 3; do
  dir+=("$($bench "$src ! cvanalyze endpoint=$url ! fakesink name=sink sync=false" | field cpu)")
  cnv+=("$($bench "$src ! videoconvert ! video/x-raw,format=Y42B ! cvanalyze endpoint=$url ! fakesink name=sink sync=false" | field cpu)")
done
d=$(printf '%s\n' "${dir[@]}" | median); v=$(printf '%s\n' "${cnv[@]}" | median)
echo "videoconvert ! cvanalyze: ${v}s  cvanalyze alone: ${d}s  for $frames frames"
echo "camera-ratio: $(ratio "$d" "$v") (cvanalyze on YUY2 / videoconvert ! cvanalyze)"

fi

if row 8; then
echo "== 8. per-frame cost with a result attached, 1080p, vs identity; and through videoconvert"
# Azure's v3.2 example answer (caption, tags, categories, faces, objects,
# brands...) attached to every frame: mode=exact, so the first frame waits
# for it, and one sample only. imagefreeze hands out the same 1920x1080
# frame, so the figures are the per-buffer work, not pixels. Per-frame CPU
# is the difference between a long and a short run (which cancels start-up
# and the one JPEG), median of alternating runs. imagefreeze pushes a new
# buffer (sharing the frame's memory) each time, so buffers arrive writable
# and no element copies one to add a meta. The floor: identity with a bare
# meta (no init, free or transform) added to every buffer in a pad probe,
# the least any per-buffer meta costs here (the probe's own call
# included); then meta-cost times the pieces on their own.
body=$(mktemp)
python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["responses"]["200"]["body"]))' \
  tests/fixtures/azure-api-examples/ComputerVision/v3.2/SuccessfulAnalyzeImageWithStream.json >"$body"
start_server --body-file "$body"
per_frames() {  # per_frames FRAMES PIPELINE...: median ns per frame of each
  # PIPELINE (elements between imagefreeze and the sink, optionally led by
  # pipeline-bench's --add-bare-meta), runs alternating between them
  local long=$1 short=$(( $1 / 10 )) i k spec opts a b
  shift
  local -a specs=("$@") runs=()
  for i in 1 2 3; do
    for k in "${!specs[@]}"; do
      spec=${specs[$k]} opts=""
      if [[ $spec == --add-bare-meta\ * ]]; then
        opts=--add-bare-meta spec=${spec#--add-bare-meta }
      fi
      a=$($bench $opts "videotestsrc num-buffers=1 ! video/x-raw,format=I420,width=1920,height=1080,framerate=30/1 ! imagefreeze num-buffers=$long ! $spec ! fakesink name=sink sync=false" | field cpu)
      b=$($bench $opts "videotestsrc num-buffers=1 ! video/x-raw,format=I420,width=1920,height=1080,framerate=30/1 ! imagefreeze num-buffers=$short ! $spec ! fakesink name=sink sync=false" | field cpu)
      runs[$k]+="$(awk -v a="$a" -v b="$b" -v n=$(( long - short )) 'BEGIN {printf "%.0f", (a - b) * 1e9 / n}') "
    done
  done
  for k in "${!specs[@]}"; do
    printf '%s\n' ${runs[$k]} | median
  done | paste -sd ' '
}
cva="cvanalyze endpoint=$url mode=exact interval=100000000000000 timeout=60000000000"
n=$(( quick ? 10000 : 40000 ))
read -r i0 c0 f0 < <(per_frames $n identity "$cva" "--add-bare-meta identity")
conv="videoconvert ! video/x-raw,format=NV12"
n=$(( quick ? 500 : 2000 ))
read -r i1 c1 < <(per_frames $n "identity ! $conv" "$cva ! $conv")
rm -f "$body"
echo "identity: ${i0} ns  cvanalyze with a result: ${c0} ns  per frame"
echo "meta-ratio: $(ratio "$c0" "$i0") (cvanalyze / identity; goal <= 1.05)"
echo "identity + a bare meta (in a probe): ${f0} ns per frame"
echo "bare-meta-ratio: $(ratio "$f0" "$i0") (the floor of any per-buffer meta / identity)"
build/tests/bench/meta-cost $(( quick ? 50000 : 200000 ))
echo "identity ! videoconvert: ${i1} ns  cvanalyze ! videoconvert: ${c1} ns  per frame"
echo "meta-convert-ratio: $(ratio "$c1" "$i1") (goal <= 1.05)"

fi

if row 9; then
echo "== 9. CPU that cvanalyze adds per live 1280x720 30 fps stream analysed once a second, N streams in one process"
# N camera-shaped live streams (imagefreeze is-live=true: a source that
# costs almost nothing) in one pipeline, each through cvanalyze with a
# result attached from its first second on, against the same pipeline
# with identity; the difference in the process's CPU time, per stream, as
# a percentage of one core. Per second of a running stream: the difference
# between a long and a short run, which cancels what a stream costs once
# (loading GIO's TLS and proxy modules, the first connection, the first
# JPEG's caches), printed apart as start-up; medians of alternating runs.
# Every frame must arrive: a sink that syncs to the clock counts what it
# renders. The caps after imagefreeze hold it to 30/1 (left alone it sends
# 25/1). The server keeps connections alive between answers, as a real
# service does (by default it closes each, for libsoup 3.2's sake: see its
# --help). Then sample-cost: what the JPEG of one sample costs alone, with
# the defaults.
start_server --keep-alive
long=$(( quick ? 12 : 30 )) short=$(( quick ? 4 : 10 ))
streams() {  # streams N SECONDS ELEMENT: the pipeline description
  local i name src desc=""
  for i in $(seq "$1"); do
    src="videotestsrc num-buffers=1 pattern=smpte ! video/x-raw,format=I420,width=1280,height=720,framerate=30/1 ! imagefreeze is-live=true num-buffers=$(( $2 * 30 )) ! video/x-raw,framerate=30/1"
    name=$([ "$i" -eq 1 ] && echo sink || echo "s$i")
    desc="$desc $src ! $3 ! fakesink name=$name sync=true"
  done
  echo "$desc"
}
for n in 1 4 16; do
  rl=(); cl=(); rs=(); cs=(); got=()
  for i in 1 2 3; do
    rl+=("$($bench "$(streams "$n" "$long" identity)" | field cpu)")
    out=$($bench "$(streams "$n" "$long" "cvanalyze endpoint=$url")")
    cl+=("$(field cpu <<<"$out")"); got+=("$(field frames <<<"$out")")
    rs+=("$($bench "$(streams "$n" "$short" identity)" | field cpu)")
    out=$($bench "$(streams "$n" "$short" "cvanalyze endpoint=$url")")
    cs+=("$(field cpu <<<"$out")"); got+=("$(field frames <<<"$out")")
  done
  a=$(printf '%s\n' "${rl[@]}" | median); b=$(printf '%s\n' "${cl[@]}" | median)
  c=$(printf '%s\n' "${rs[@]}" | median); d=$(printf '%s\n' "${cs[@]}" | median)
  read -r pct startup < <(awk -v a="$a" -v b="$b" -v c="$c" -v d="$d" -v n="$n" \
      -v l="$long" -v s="$short" 'BEGIN {
        rate = ((b - a) - (d - c)) / (l - s);        # s of CPU a second
        printf "%.2f %.0f\n", rate * 100 / n, ((d - c) - rate * s) * 1000 / n }')
  echo "streams=$n ${long} s: identity ${a}s cvanalyze ${b}s; ${short} s: identity ${c}s cvanalyze ${d}s (medians of 3 alternating runs) frames at the first sink: ${got[*]} (of $(( long * 30 )) and $(( short * 30 )))"
  echo "per-stream-cpu-percent n=$n: $pct (% of one core per running stream; goal <= 0.3)"
  echo "per-stream-startup-ms n=$n: $startup (CPU a stream costs once, at its start)"
done

build/tests/bench/sample-cost
fi

if row 10; then
echo "== 10. an MJPEG 720p stream: sampled JPEGs sent as they are, vs decoding first"
# Per sample: the JPEG path (max-dimension 1280: sent as it is; 640:
# DCT-scaled decode and encode) against a full decode and the raw encoder,
# what jpegdec ! cvanalyze did per sample. Per stream: CPU time of the
# whole process, cvanalyze on the camera's JPEGs against what users had to
# write before (decode, analyse, encode again), median of alternating runs.
build/tests/bench/mjpeg-prep $(( quick ? 30 : 100 ))
start_server
frames=$(( quick ? 300 : 900 ))
jpeg=$(mktemp --suffix=.jpg)
gst-launch-1.0 -q videotestsrc num-buffers=1 pattern=smpte ! video/x-raw,width=1280,height=720 ! jpegenc ! filesink location="$jpeg"
src="multifilesrc location=$jpeg loop=true num-buffers=$frames caps=image/jpeg,width=1280,height=720,framerate=30/1 ! jpegparse"
dir=(); dec=()
for i in 1 2 3; do
  dir+=("$($bench "$src ! cvanalyze endpoint=$url ! fakesink name=sink sync=false" | field cpu)")
  dec+=("$($bench "$src ! jpegdec ! cvanalyze endpoint=$url ! jpegenc ! fakesink name=sink sync=false" | field cpu)")
done
rm -f "$jpeg"
d=$(printf '%s\n' "${dir[@]}" | median); v=$(printf '%s\n' "${dec[@]}" | median)
echo "jpegdec ! cvanalyze ! jpegenc: ${v}s  cvanalyze on JPEG: ${d}s  for $frames frames"
echo "mjpeg-stream-ratio: $(ratio "$d" "$v") (cvanalyze on image/jpeg / jpegdec ! cvanalyze ! jpegenc)"
fi

if row 11; then
echo "== 11. sample-mode=scene: requests saved on cuts and static scenes; one check's CPU vs a frame through identity"
# Requests the element sent (stats) in interval and scene mode, a frame
# due each second: a clip with three cuts (four 10 s shots), and 10
# minutes of a static scene, still and with sensor-like noise. Then one
# check (the 32x32 thumbnail the element measures a frame due by) on
# frames not in the cache, against one frame through identity, in the same
# run.
start_server
build/tests/bench/scene-bench "$url" "$quick"
fi
