#!/usr/bin/python3
"""cvanalyze results read from Python (PyGObject): the GstCvAnalyzeMeta on
buffers and the 'cvanalyze' bus message, against the bundled local server
started as a separate process, as an application would use them."""
import ctypes
import os
import signal
import subprocess
import tempfile
import unittest

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstVideo", "1.0")
# The meta library's typelib (the test environment points GI_TYPELIB_PATH
# and LD_LIBRARY_PATH at the build tree).
gi.require_version("GstCvAnalyze", "1.0")
from gi.repository import GLib, Gst, GstCvAnalyze, GstVideo  # noqa: E402


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

    def run_pipeline(self, source, options="interval=1000000000",
                     on_buffer=None):
        """Runs SOURCE ! cvanalyze OPTIONS ! fakesink to EOS; returns the
        metas' shared results (Gst.Sample) by buffer PTS and the result
        messages. ON_BUFFER,
        if given, is called with each buffer at the sink."""
        pipeline = Gst.parse_launch(
            "%s ! cvanalyze endpoint=%s key=py-test-key %s "
            "! fakesink name=sink sync=true"
            % (source, self.server.url, options))
        metas = {}

        def probe(pad, info):
            buf = info.get_buffer()
            meta = GstCvAnalyze.buffer_get_cv_analyze_meta(buf)
            if meta is not None:
                # The accessors read the shared result itself.
                result = meta.get_result()
                self.assertEqual(meta.get_frame_pts(),
                                 result.get_value("frame-pts"))
                self.assertEqual(meta.get_caption()[0],
                                 result.get_string("caption"))
                # A reference: valid after the buffer is gone.
                metas[buf.pts] = meta.get_sample()
            if on_buffer:
                on_buffer(buf)
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
        for pts, sample in metas.items():
            # The meta holds the shared Gst.Sample; its info is the result,
            # with the analysed frame's fields.
            result = sample.get_info()
            self.assertEqual(result.get_name(), "cvanalyze-result")
            frame = result.get_value("frame-pts")
            self.assertIn(frame, (0, Gst.SECOND))
            self.assertLessEqual(frame, pts, "a result older than its frame")
            self.assertEqual(result.get_value("first-frame-pts"), frame)
            self.assertGreater(result.get_value("latency"), 0)
            self.assertIn("red", result.get_string("caption"))
            self.assertIn("red", list(result.get_value("tags")))
            # hash() of a boxed wrapper is its C pointer.
            shared.setdefault(frame, set()).add(hash(sample))
        # The last buffers carry the second frame's result.
        self.assertEqual(metas[max(metas)].get_info().get_value("frame-pts"),
                         Gst.SECOND)
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


# Two faces and two objects at distinct places, in a 320x240 image.
REGIONS_BODY = (
    '{"faces": ['
    '{"age": 30, "gender": "Female", "faceRectangle": '
    '{"left": 10, "top": 20, "width": 30, "height": 40}},'
    '{"age": 50, "gender": "Male", "faceRectangle": '
    '{"left": 200, "top": 100, "width": 60, "height": 60}}],'
    '"objects": ['
    '{"rectangle": {"x": 5, "y": 150, "w": 40, "h": 50}, '
    '"object": "cup", "confidence": 0.7},'
    '{"rectangle": {"x": 250, "y": 0, "w": 70, "h": 120}, '
    '"object": "tree", "confidence": 0.8}],'
    '"requestId": "r1", '
    '"metadata": {"width": 320, "height": 240, "format": "Jpeg"}}')


class RegionsFromPython(PipelineTest):
    def setUp(self):
        self.body = tempfile.NamedTemporaryFile("w", suffix=".json")
        self.body.write(REGIONS_BODY)
        self.body.flush()
        self.server_args = ("--body-file", self.body.name)
        super().setUp()

    def tearDown(self):
        super().tearDown()
        self.body.close()

    def test_region_meta_names_its_entry(self):
        # A region meta's roi_type names the result's array and its id the
        # index in it: in Python, the entry is result.get_value(array)[id].
        # Exact mode and 320x240 frames: every buffer carries the result,
        # and the region metas are in the analysed image's pixels.
        arrays = {"face": "faces", "object": "objects"}
        seen = []

        def on_buffer(buf):
            meta = GstCvAnalyze.buffer_get_cv_analyze_meta(buf)
            if meta is None:
                return
            result = meta.get_result()
            for i in range(2):
                # The first region meta with id i: the faces come first.
                roi = GstVideo.buffer_get_video_region_of_interest_meta_id(
                    buf, i)
                roi_type = GLib.quark_to_string(roi.roi_type)
                entry = result.get_value(arrays[roi_type])[roi.id]
                # The library's accessor finds the same entry.
                self.assertEqual(
                    meta.get_region(roi.roi_type, roi.id).to_string(),
                    entry.to_string())
                self.assertEqual(
                    GstCvAnalyze.CvAnalyzeMeta.region_field(roi_type),
                    arrays[roi_type])
                seen.append((roi_type, roi.x, roi.y, roi.w, roi.h,
                             entry.get_int("x")[1], entry.get_int("y")[1],
                             entry.get_int("width")[1],
                             entry.get_int("height")[1],
                             entry.get_string("gender")))

        self.run_pipeline(
            "videotestsrc num-buffers=3 ! video/x-raw,width=320,height=240",
            "interval=10000000000 mode=exact timeout=60000000000", on_buffer)
        self.assertEqual(len(seen), 6)
        self.assertEqual(
            seen[:2],
            [("face", 10, 20, 30, 40, 10, 20, 30, 40, "Female"),
             ("face", 200, 100, 60, 60, 200, 100, 60, 60, "Male")])
        self.assertEqual(seen[:2] * 3, seen)


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
        for sample in metas.values():
            result = sample.get_info()
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
