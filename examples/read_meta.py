#!/usr/bin/python3
"""Reads cvanalyze results from buffers in Python: the GstCvAnalyzeMeta on
each buffer, via a pad probe. Use Debian's /usr/bin/python3 (python3-gi,
python3-gst-1.0).

    read_meta.py http://127.0.0.1:PORT/     # e.g. cvanalyze-local-server's URL
"""
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402


def on_buffer(pad, info, seen):
    meta = info.get_buffer().get_custom_meta("GstCvAnalyzeMeta")
    if meta is not None:
        s = meta.get_structure()
        # The result is shared by every buffer it is attached to: a
        # Gst.Sample whose info structure is the result model.
        result = s.get_value("result").get_info()
        frame = s.get_value("frame-pts")
        if frame not in seen:
            seen.add(frame)
            print("buffer %.2f s: \"%s\" (frame %.2f s, %d ms)" % (
                info.get_buffer().pts / Gst.SECOND, result.get_string("caption"),
                frame / Gst.SECOND, s.get_value("latency") // Gst.MSECOND))
    return Gst.PadProbeReturn.OK


def main():
    Gst.init(None)
    endpoint = sys.argv[1]
    pipeline = Gst.parse_launch(
        "videotestsrc num-buffers=90 pattern=smpte horizontal-speed=8 ! "
        "cvanalyze endpoint=%s ! fakesink name=sink sync=true" % endpoint)
    seen = set()
    pipeline.get_by_name("sink").get_static_pad("sink").add_probe(
        Gst.PadProbeType.BUFFER, on_buffer, seen)
    pipeline.set_state(Gst.State.PLAYING)
    msg = pipeline.get_bus().timed_pop_filtered(
        Gst.CLOCK_TIME_NONE, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipeline.set_state(Gst.State.NULL)
    return 1 if msg.type == Gst.MessageType.ERROR else 0


if __name__ == "__main__":
    sys.exit(main())
