#!/usr/bin/python3
"""cvanalyze results read from Python (PyGObject): the GstCvAnalyzeMeta on
buffers and the 'cvanalyze' bus message, against the bundled local server
started as a separate process, as an application would use them."""
import ctypes
import os
import signal
import subprocess
import unittest

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402


PR_SET_PDEATHSIG = 1


def die_with_parent():
    # If this interpreter crashes, the server must not outlive it: it holds
    # the test log's stderr open, and meson would wait for its timeout.
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class LocalServer:
    """Runs cvanalyze-local-server on a free port for one test."""

    def __init__(self, *args):
        self.proc = subprocess.Popen(
            [os.environ["CVANALYZE_LOCAL_SERVER"], "--port", "0", *args],
            stdout=subprocess.PIPE, text=True, preexec_fn=die_with_parent)
        line = self.proc.stdout.readline()
        self.url = line.strip().rsplit(" ", 1)[-1]
        assert self.url.startswith("http://127.0.0.1:"), line

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.proc.stdout.close()


class PipelineTest(unittest.TestCase):
    """Runs cvanalyze against a local server started with SERVER_ARGS."""

    server_args = ()

    def setUp(self):
        Gst.init(None)
        self.server = LocalServer("--key", "py-test-key", *self.server_args)

    def tearDown(self):
        self.server.close()

    def run_pipeline(self, source, options="interval=1000000000"):
        """Runs SOURCE ! cvanalyze OPTIONS ! fakesink to EOS; returns the
        metas' structures by buffer PTS and the result messages."""
        pipeline = Gst.parse_launch(
            "%s ! cvanalyze endpoint=%s key=py-test-key %s "
            "! fakesink name=sink sync=true"
            % (source, self.server.url, options))
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



class MetaFromPython(PipelineTest):
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
        shared = {}
        for pts, s in metas.items():
            self.assertEqual(s.get_name(), "GstCvAnalyzeMeta")
            frame = s.get_value("frame-pts")
            self.assertIn(frame, (0, Gst.SECOND))
            self.assertLessEqual(frame, pts, "a result older than its frame")
            self.assertGreater(s.get_value("latency"), 0)
            # The result itself: the info of the shared Gst.Sample.
            sample = s.get_value("result")
            result = sample.get_info()
            self.assertEqual(result.get_name(), "cvanalyze-result")
            self.assertIn("red", result.get_string("caption"))
            self.assertIn("red", list(result.get_value("tags")))
            # hash() of a boxed wrapper is its C pointer.
            shared.setdefault(frame, set()).add(hash(sample))
        # The last buffers carry the second frame's result.
        self.assertEqual(metas[max(metas)].get_value("frame-pts"), Gst.SECOND)
        # Each result is one object on all of its buffers, not a copy each.
        self.assertEqual([len(p) for p in shared.values()], [1] * len(shared))
        self.assertGreater(len(metas), len(shared))

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



# What the element promises of every string it hands on (as
# tests/fuzz/resultcheck.c checks it in C): no C0, DEL or C1 control, no
# line or paragraph separator, no bidi embedding, override or isolate.
def unsafe_characters(text):
    return [hex(ord(c)) for c in text
            if ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f
            or ord(c) in (0x2028, 0x2029)
            or 0x202a <= ord(c) <= 0x202e or 0x2066 <= ord(c) <= 0x2069]


class HostileFromPython(PipelineTest):
    """The same readers against a service whose captions, tags, request id
    and model version hold lone surrogates and control characters. Before
    the parser made them safe, reading the tags from Python crashed the
    interpreter (invalid UTF-8 in a GstStructure)."""

    server_args = ("--lone-surrogates", "--control-chars")

    def assert_safe(self, value, where):
        """Walks a field's value: strings, structures, arrays, lists."""
        if isinstance(value, str):
            self.assertEqual(unsafe_characters(value), [], where)
        elif isinstance(value, Gst.Structure):
            for i in range(value.n_fields()):
                name = value.nth_field_name(i)
                self.assert_safe(value.get_value(name), where + "." + name)
        elif isinstance(value, (list, tuple, Gst.ValueArray)):
            for i, item in enumerate(list(value)):
                self.assert_safe(item, "%s[%d]" % (where, i))

    def read_hostile_results(self, features):
        # mode=exact: each of the three frames carries its own result.
        metas, messages = self.run_pipeline(
            "videotestsrc num-buffers=3 pattern=red",
            "mode=exact interval=1 features=%s" % features)
        self.assertEqual(len(messages), 3)
        for s in messages:
            tags = list(s.get_value("tags"))
            self.assertTrue(tags)
            for tag in tags:
                self.assertEqual(unsafe_characters(tag), [], tag)
            caption = s.get_string("caption")
            self.assertIn("red", caption)
            self.assertIn("\ufffd high and \ufffd low", caption)
            self.assertIn("[2J]0;pwned bel", caption)
            self.assertTrue(s.get_string("request-id"))
            self.assertIn('"captions"', s.get_string("json"))
            self.assert_safe(s, "message")
        self.assertEqual(len(metas), 3)
        for s in metas.values():
            self.assertEqual(s.get_name(), "GstCvAnalyzeMeta")
            self.assert_safe(s, "meta")
            result = s.get_value("result").get_info()
            self.assert_safe(result, "meta.result")
            self.assertIn("pwned", result.get_string("caption"))

    def test_hostile_tags_from_tags_feature(self):
        self.read_hostile_results("Tags,Description,Color")

    def test_hostile_tags_from_description(self):
        # Without the Tags feature "tags" are description.tags: an array of
        # strings, where main's parser left invalid UTF-8 that crashed
        # Python in get_value("tags").
        self.read_hostile_results("Description,Color")


if __name__ == "__main__":
    unittest.main(verbosity=2)
