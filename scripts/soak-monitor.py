#!/usr/bin/python3
# soak-monitor: runs live 720p30 through cvanalyze against ENDPOINT for
# MINUTES and prints, every minute: resident memory, frames delivered
# against frames expected (30 a second of running time), captions
# (results) against samples, retries, 429s, the rate in effect and the
# breaker. Run by scripts/soak.sh, which starts the faulty server.
#
#   soak-monitor.py ENDPOINT MINUTES [QUOTA_PER_MINUTE FAIL_EVERY RESET_EVERY]
#
# Copyright (C) 2026 cvanalyze developers
# This library is free software; you can redistribute it and/or modify it
# under the terms of the GNU Library General Public License, version 2 or
# later.

import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

FPS = 30


def rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    endpoint, minutes = sys.argv[1], int(sys.argv[2])
    quota, fail_every, reset_every = (int(a) for a in sys.argv[3:6])
    Gst.init(None)
    pipeline = Gst.parse_launch(
        "videotestsrc is-live=true pattern=ball ! "
        f"video/x-raw,width=1280,height=720,framerate={FPS}/1 ! "
        f"cvanalyze name=cv endpoint={endpoint} key=soak ! "
        "fakesink name=sink sync=true "
        "cv.text_src ! queue ! fakesink name=textsink sync=true async=false")
    cv = pipeline.get_by_name("cv")
    sink = pipeline.get_by_name("sink")
    frames = [0]
    produced = [0]
    state = {"minute": 0, "rss": [], "error": None, "eos_rt": None}

    def on_buffer(pad, info):
        frames[0] += 1
        return Gst.PadProbeReturn.OK

    def on_produced(pad, info):
        produced[0] += 1
        return Gst.PadProbeReturn.OK

    sink.get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, on_buffer)
    cv.get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, on_produced)
    loop = GLib.MainLoop()

    def running_time():
        clock = pipeline.get_clock()
        if clock is None:
            return 0
        return clock.get_time() - pipeline.get_base_time()

    def report(final=False):
        st = cv.get_property("stats")
        rt = (state["eos_rt"] if final else running_time()) / Gst.SECOND
        expected = int(rt * FPS)
        rss = rss_kb()
        state["rss"].append(rss)
        g = st.get_value
        print(f"{'end' if final else 'minute'} {state['minute']:3d}: "
              f"rss={rss} kB frames={frames[0]}/{expected} "
              f"captions={g('results')}/{g('samples')} "
              f"requests={g('requests')} retries={g('retries')} "
              f"failed={g('failed')} throttled={g('throttled')} "
              f"held-back={g('held-back')} rate={g('rate'):.1f}/min "
              f"learned={g('learned-rate') or 0:.1f}/min "
              f"breaker={g('breaker-state')} "
              f"openings={g('breaker-openings')}", flush=True)
        return st, rt

    def tick():
        state["minute"] += 1
        report()
        if state["minute"] >= minutes:
            state["eos_rt"] = running_time()
            pipeline.send_event(Gst.Event.new_eos())
            return False
        return True

    def on_message(bus, msg):
        if msg.type == Gst.MessageType.EOS:
            loop.quit()
        elif msg.type == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            state["error"] = err.message
            print(f"ERROR: {err.message}", flush=True)
            loop.quit()
        elif msg.type == Gst.MessageType.WARNING:
            err, dbg = msg.parse_warning()
            print(f"warning at {running_time() / Gst.SECOND:.0f} s: "
                  f"{err.message}", flush=True)
        elif msg.type == Gst.MessageType.INFO:
            err, dbg = msg.parse_info()
            print(f"info at {running_time() / Gst.SECOND:.0f} s: "
                  f"{err.message}", flush=True)

    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)
    pipeline.set_state(Gst.State.PLAYING)
    GLib.timeout_add_seconds(60, tick)
    loop.run()
    st, rt = report(final=True)
    pipeline.set_state(Gst.State.NULL)

    expected = int(rt * FPS)
    # Every frame that reached cvanalyze reached the sink, and the live
    # source kept pace (a frame or two of slack for when EOS went in).
    lost = produced[0] - frames[0]
    samples, results = st.get_value("samples"), st.get_value("results")
    # The most captions the faults allow: requests the quota admits, less
    # those the server fails (one in FAIL_EVERY) or resets (one in
    # RESET_EVERY); and never more than one per interval (1 s).
    admitted = quota * rt / 60.0 if quota else float("inf")
    allowed = min(rt, admitted * (1 - 1 / fail_every) * (1 - 1 / reset_every)
                  if fail_every and reset_every else admitted)
    rss = state["rss"]
    half = rss[len(rss) // 2:] if len(rss) > 2 else rss
    print(f"summary: {rt / 60:.1f} min, frames lost {lost} of "
          f"{produced[0]} ({frames[0]} delivered, {expected} expected), "
          f"captions {results} of {samples} samples "
          f"({100.0 * results / max(samples, 1):.1f} %), "
          f"{100.0 * results / max(allowed, 1):.1f} % of the {allowed:.0f} "
          f"the faults allow, rss first {rss[0]} kB, last {rss[-1]} kB, "
          f"second half {min(half)}-{max(half)} kB", flush=True)
    good = (state["error"] is None and lost == 0
            and frames[0] >= expected - 2 and results >= 0.95 * allowed)
    print("goals: " + ("met" if good else "NOT met"), flush=True)
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
