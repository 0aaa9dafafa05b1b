#!/usr/bin/python3
"""examples/cvanalyze-captions run as a user runs it, against the bundled
local server: it prints each caption, and a pipeline it cannot build as
asked (a misspelt property) is refused with what gst_parse_launch said."""
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_meta import LocalServer  # noqa: E402


def run_example(pipeline):
    return subprocess.run([os.environ["CAPTIONS_EXAMPLE"], pipeline],
                          capture_output=True, text=True, timeout=120)


class CaptionsExample(unittest.TestCase):
    def test_prints_captions(self):
        server = LocalServer()
        try:
            out = run_example(
                "videotestsrc num-buffers=60 pattern=red ! "
                "video/x-raw,framerate=30/1 ! cvanalyze endpoint=%s ! "
                "fakesink" % server.url)
        finally:
            server.close()
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(re.findall(r'^(\S+)  "a plain red image"',
                                    out.stdout, re.M),
                         ["0:00:00.000000000", "0:00:01.000000000"],
                         out.stdout)

    def test_misspelt_property_is_refused(self):
        out = run_example("videotestsrc num-buffers=3 ! cvanalyze "
                          "endpoint=http://127.0.0.1:1/ intervall=5 ! "
                          "fakesink")
        self.assertEqual(out.returncode, 1, out.stderr)
        self.assertIn('could not build the pipeline: no property '
                      '"intervall"', out.stderr)
        self.assertNotIn("Internal data stream error", out.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
