#!/usr/bin/python3
"""Reads cvanalyze results from buffers in Python: the GstCvAnalyzeMeta on
each buffer, via a pad probe, through the meta library's GObject
introspection data (the GstCvAnalyze-1.0 typelib), and prints cvanalyze's
warnings and errors, which say what went wrong and what to do. Use
Debian's /usr/bin/python3 (python3-gi, python3-gst-1.0).

    read_meta.py http://127.0.0.1:PORT/     # e.g. cvanalyze-local-server's URL

From a build tree, point GObject introspection and the loader at it:

    GI_TYPELIB_PATH=build/gst LD_LIBRARY_PATH=build/gst \
        GST_PLUGIN_PATH=build/gst /usr/bin/python3 examples/read_meta.py URL
"""
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstVideo", "1.0")
gi.require_version("GstCvAnalyze", "1.0")
from gi.repository import GLib, Gst, GstCvAnalyze, GstVideo  # noqa: E402


def on_buffer(pad, info, seen):
    buf = info.get_buffer()
    meta = GstCvAnalyze.buffer_get_cv_analyze_meta(buf)
    if meta is not None:
        # The result is shared by every buffer it is attached to: the
        # result model, with the analysed frame's fields (frame-pts,
        # latency...). meta.get_sample() gives the Gst.Sample holding it,
        # to keep it after the buffer is gone.
        result = meta.get_result()
        frame = meta.get_frame_pts()
        if frame not in seen:
            seen.add(frame)
            print("buffer %.2f s: \"%s\" (frame %.2f s, %d ms)" % (
                buf.pts / Gst.SECOND, result.get_string("caption"),
                frame / Gst.SECOND, result.get_value("latency") // Gst.MSECOND))
            # A region-of-interest meta (in the buffer's pixels) names its
            # entry in the result: roi_type the array, id the index.
            roi = GstVideo.buffer_get_video_region_of_interest_meta_id(buf, 0)
            if roi is not None:
                kind = GLib.quark_to_string(roi.roi_type)
                entry = meta.get_region(roi.roi_type, roi.id)
                print("  %s at %d,%d %dx%d: %s" % (
                    kind, roi.x, roi.y, roi.w, roi.h, entry.to_string()))
    return Gst.PadProbeReturn.OK


def main():
    Gst.init(None)
    if len(sys.argv) != 2:
        print("usage: %s ENDPOINT (e.g. cvanalyze-local-server's URL; the key, "
              "if the service needs one, from AZURE_VISION_KEY)" % sys.argv[0],
              file=sys.stderr)
        return 2
    endpoint = sys.argv[1]
    pipeline = Gst.parse_launch(
        "videotestsrc num-buffers=90 pattern=smpte horizontal-speed=8 ! "
        "cvanalyze endpoint=%s ! fakesink name=sink sync=true" % endpoint)
    seen = set()
    pipeline.get_by_name("sink").get_static_pad("sink").add_probe(
        Gst.PadProbeType.BUFFER, on_buffer, seen)
    pipeline.set_state(Gst.State.PLAYING)
    # cvanalyze says what went wrong, and what to do, in its warnings (the
    # video goes on) and errors (it stops): show them.
    while True:
        msg = pipeline.get_bus().timed_pop_filtered(
            Gst.CLOCK_TIME_NONE, Gst.MessageType.EOS | Gst.MessageType.ERROR
            | Gst.MessageType.WARNING)
        if msg.type == Gst.MessageType.WARNING:
            print("warning: %s" % msg.parse_warning()[0].message,
                  file=sys.stderr)
        else:
            break
    pipeline.set_state(Gst.State.NULL)
    if msg.type == Gst.MessageType.ERROR:
        print("error: %s" % msg.parse_error()[0].message, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
