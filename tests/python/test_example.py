#!/usr/bin/python3
"""examples/read_meta.py run as a user runs it, from /usr/bin/python3,
against the bundled local server: it must exit 0 and print each result it
read from the buffers' GstCvAnalyzeMeta, with a region's entry; without an
endpoint it prints its usage, and it shows cvanalyze's errors and warnings."""
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_meta import LocalServer  # noqa: E402


class ReadMetaExample(unittest.TestCase):
    def test_example_prints_results_and_regions(self):
        body = os.path.join(os.environ["FIXTURES_DIR"], "ComputerVision",
                            "v3.2", "SuccessfulAnalyzeImageWithStream.json")
        with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
            with open(body) as example:
                json.dump(json.load(example)["responses"]["200"]["body"], f)
            f.flush()
            server = LocalServer("--body-file", f.name)
            try:
                out = subprocess.run(
                    ["/usr/bin/python3", os.environ["READ_META_EXAMPLE"],
                     server.url], capture_output=True, text=True,
                    timeout=120)
            finally:
                server.close()
        self.assertEqual(out.returncode, 0, out.stderr)
        # 90 frames at 30 fps, sampled once a second: three results, each
        # first seen on a buffer at or after its own frame.
        results = re.findall(r'buffer ([0-9.]+) s: "(.*)" \(frame ([0-9.]+) s',
                             out.stdout)
        self.assertEqual([r[2] for r in results], ["0.00", "1.00", "2.00"],
                         out.stdout)
        for pts, caption, frame in results:
            self.assertEqual(caption, "Satya Nadella sitting on a bench")
            self.assertGreaterEqual(float(pts), float(frame))
        # The fixture's object, found through its region meta's id. Its
        # face (593,160 250x250, in Azure's 1500x1000 picture) lies beyond
        # the example's 320x240 frames, so it has no region meta.
        self.assertEqual(out.stdout.count(
            "object at 0,0 50x50: object, x=(int)0, y=(int)0, width=(int)50, "
            "height=(int)50, object=(string)tree"), 3, out.stdout)
        self.assertNotIn("face at", out.stdout)

    def run_example(self, *args, env=None):
        return subprocess.run(
            ["/usr/bin/python3", os.environ["READ_META_EXAMPLE"], *args],
            capture_output=True, text=True, timeout=120, env=env)

    def test_example_without_endpoint_prints_usage(self):
        out = self.run_example()
        self.assertEqual(out.returncode, 2, out.stderr)
        self.assertIn("usage:", out.stderr)
        self.assertNotIn("Traceback", out.stderr)

    def test_example_prints_errors_and_warnings(self):
        # A refused key stops the pipeline: the example says why, exit 1.
        env = dict(os.environ)
        for name in ("AZURE_VISION_KEY", "VISION_KEY"):
            env.pop(name, None)
        server = LocalServer("--key", "example-test-key")
        try:
            out = self.run_example(server.url, env=env)
        finally:
            server.close()
        self.assertEqual(out.returncode, 1, out.stderr)
        self.assertRegex(out.stderr, r"error: .*HTTP 401.*Check the key")
        # A service that fails costs results, not the video: the warning
        # is shown and the example ends at EOS, exit 0.
        server = LocalServer("--status", "503")
        try:
            out = self.run_example(server.url)
        finally:
            server.close()
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertRegex(out.stderr, r"warning: .*HTTP 503")
        self.assertNotIn("buffer ", out.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
