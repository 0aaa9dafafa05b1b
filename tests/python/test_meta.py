#!/usr/bin/python3
"""cvanalyze results read from Python (PyGObject): the GstCvAnalyzeMeta on
buffers and the 'cvanalyze' bus message, against the bundled local server
started as a separate process, as an application would use them."""
import os
import subprocess
import unittest

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402


class LocalServer:
    """Runs cvanalyze-local-server on a free port for one test."""

    def __init__(self, *args):
        self.proc = subprocess.Popen(
            [os.environ["CVANALYZE_LOCAL_SERVER"], "--port", "0", *args],
            stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        self.url = line.strip().rsplit(" ", 1)[-1]
        assert self.url.startswith("http://127.0.0.1:"), line

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.proc.stdout.close()


class MetaFromPython(unittest.TestCase):
    def setUp(self):
        Gst.init(None)
        self.server = LocalServer("--key", "py-test-key")

    def tearDown(self):
        self.server.close()

    def run_pipeline(self, source):
        """Runs SOURCE ! cvanalyze ! fakesink to EOS; returns the metas'
        structures by buffer PTS and the result messages."""
        pipeline = Gst.parse_launch(
            "%s ! cvanalyze endpoint=%s key=py-test-key "
            "interval=1000000000 ! fakesink name=sink sync=true"
            % (source, self.server.url))
        metas = {}

        def probe(pad, info):
            buf = info.get_buffer()
            meta = buf.get_custom_meta("GstCvAnalyzeMeta")
            if meta is not None:
                metas[buf.pts] = meta.get_structure().copy()
            return Gst.PadProbeReturn.OK

        pipeline.get_by_name("sink").get_static_pad("sink").add_probe(
            Gst.PadProbeType.BUFFER, probe)
        pipeline.set_state(Gst.State.PLAYING)
        bus = pipeline.get_bus()
        messages = []
        while True:
            msg = bus.timed_pop_filtered(
                60 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR
                | Gst.MessageType.ELEMENT)
            self.assertIsNotNone(msg, "pipeline did not finish")
            if msg.type == Gst.MessageType.ERROR:
                self.fail(msg.parse_error())
            if msg.type == Gst.MessageType.EOS:
                break
            if msg.get_structure().get_name() == "cvanalyze":
                messages.append(msg.get_structure().copy())
        pipeline.set_state(Gst.State.NULL)
        return metas, messages

    def test_meta_on_buffers_after_result(self):
        # A red frame, non-live: one sample per second, so frames at 0 s and
        # 1 s are analysed and every later buffer carries the newest result.
        # The sink syncs, so each result has most of a second to arrive.
        metas, messages = self.run_pipeline(
            "videotestsrc num-buffers=60 pattern=red ! "
            "video/x-raw,framerate=30/1")
        self.assertEqual([m.get_value("timestamp") for m in messages],
                         [0, Gst.SECOND])
        self.assertTrue(metas, "no buffer carried a GstCvAnalyzeMeta")
        for pts, s in metas.items():
            self.assertEqual(s.get_name(), "GstCvAnalyzeMeta")
            frame = s.get_value("frame-pts")
            self.assertIn(frame, (0, Gst.SECOND))
            self.assertLessEqual(frame, pts, "a result older than its frame")
            self.assertIn("red", s.get_string("caption"))
            self.assertGreater(s.get_value("latency"), 0)
        # The last buffers carry the second frame's result.
        self.assertEqual(metas[max(metas)].get_value("frame-pts"), Gst.SECOND)

    def test_message_fields(self):
        metas, messages = self.run_pipeline(
            "videotestsrc num-buffers=5 pattern=blue")
        self.assertEqual(len(messages), 1)
        s = messages[0]
        self.assertIn("blue", s.get_string("caption"))
        ok, confidence = s.get_double("confidence")
        self.assertTrue(ok and 0 < confidence <= 1)
        self.assertIn("blue", list(s.get_value("tags")))
        self.assertTrue(s.get_string("request-id"))
        self.assertIn('"captions"', s.get_string("json"))
        self.assertEqual(s.get_value("result").get_name(), "cvanalyze-result")


if __name__ == "__main__":
    unittest.main(verbosity=2)
