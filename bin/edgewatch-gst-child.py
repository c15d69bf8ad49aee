#!/usr/bin/python3
"""One camera's GStreamer pipeline, as edgewatch's camera child (src/pipeline/child.ts).

Why not gst-launch-1.0: it takes the pipeline, and with it rtspsrc's user-pw, only from
its argv, which every local user can read (/proc/<pid>/cmdline, `ps`). This child reads
the description from EDGEWATCH_PIPELINE and the RTSP credentials from
EDGEWATCH_RTSP_USER / EDGEWATCH_RTSP_PASSWORD (the environment of a process is readable
by its owner only) and sets them on the element named `ewrtsp` as properties, so no
quoting of a password is ever involved. Its argv is `--camera NAME`, for `ps` to say
which camera a child serves.

What src/pipeline relies on, kept as gst-launch-1.0 -v does it:
- the GDP stream on fd 3 (the description's `fdsink fd=3`);
- on stdout, a notify line per caps change of every pad of the element named `ewsource`,
  `<pad path>: caps = <caps>` (caps.ts sourceCapsFromVerboseLine reads the sink pad's);
- on stderr, `ERROR: from element <path>: <message>`, `Additional debug info:` and the
  debug text; `WARNING: erroneous pipeline: <why>` for a description that does not parse
  (errors.ts classifies both);
- exit status 0 after end-of-stream, 1 after an error; SIGTERM, SIGINT and SIGPIPE end
  it at once, like gst-launch-1.0 (their default actions).
And it dies with the daemon, even a SIGKILLed one (PR_SET_PDEATHSIG, set first thing).
"""
import ctypes
import os
import signal
import sys


def die_with_parent():
    # The kernel kills this child when the daemon dies, even by SIGKILL (PR_SET_PDEATHSIG);
    # if the daemon died before this line, the parent is already someone else.
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    parent = os.environ.get("EDGEWATCH_PARENT_PID")
    if parent and os.getppid() != int(parent):
        os._exit(1)


# First, before the slow GStreamer import.
die_with_parent()

try:
    import gi

    gi.require_version("Gst", "1.0")
    from gi.repository import GLib, Gst
except (ImportError, ValueError) as e:
    # In the form errors.ts reads, so the camera's status says what to install.
    sys.stderr.write(
        "ERROR: GStreamer for python3 is missing (%s): apt-get install python3-gi gir1.2-gstreamer-1.0\n" % e
    )
    sys.exit(1)

SOURCE_CAPS_ELEMENT = "ewsource"  # caps.ts SOURCE_CAPS_ELEMENT
RTSP_ELEMENT = "ewrtsp"  # describe.ts RTSP_ELEMENT


def out(text):
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def err(text):
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def report(msg, kind):
    error, debug = msg.parse_error() if kind == "ERROR" else msg.parse_warning()
    path = msg.src.get_path_string() if msg.src else "(unknown)"
    err("%s: from element %s: %s" % (kind, path, error.message))
    if debug:
        err("Additional debug info:\n%s" % debug)


def main():
    # Python ignores SIGPIPE and turns SIGINT into an exception; gst-launch-1.0 dies of
    # both (a daemon that went away must not leave its camera child decoding).
    for sig in (signal.SIGPIPE, signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
    description = os.environ.get("EDGEWATCH_PIPELINE", "")
    if not description:
        err("WARNING: erroneous pipeline: EDGEWATCH_PIPELINE is empty (edgewatch sets it)")
        return 1
    Gst.init(None)
    try:
        pipeline = Gst.parse_launch(description)
    except GLib.Error as e:
        err("WARNING: erroneous pipeline: %s" % e.message)
        return 1
    user = os.environ.get("EDGEWATCH_RTSP_USER")
    if user is not None:
        src = pipeline.get_by_name(RTSP_ELEMENT)
        if src is None:
            err("WARNING: erroneous pipeline: credentials given but no element named %s" % RTSP_ELEMENT)
            return 1
        src.set_property("user-id", user)
        src.set_property("user-pw", os.environ.get("EDGEWATCH_RTSP_PASSWORD", ""))
    pipeline.add_property_deep_notify_watch("caps", True)
    bus = pipeline.get_bus()
    code = run(pipeline, bus)
    pipeline.set_state(Gst.State.NULL)
    return code


def run(pipeline, bus):
    ret = pipeline.set_state(Gst.State.PLAYING)
    if ret == Gst.StateChangeReturn.FAILURE:
        # The element that failed has posted its error; report it like any other.
        msg = bus.timed_pop_filtered(0, Gst.MessageType.ERROR)
        if msg:
            report(msg, "ERROR")
        else:
            err("ERROR: pipeline doesn't want to play.")
        return 1
    live = ret == Gst.StateChangeReturn.NO_PREROLL
    while True:
        msg = bus.timed_pop(Gst.CLOCK_TIME_NONE)
        if msg is None:
            continue
        t = msg.type
        if t == Gst.MessageType.ERROR:
            report(msg, "ERROR")
            return 1
        if t == Gst.MessageType.EOS:
            out('Got EOS from element "%s".' % pipeline.get_name())
            return 0
        if t == Gst.MessageType.WARNING:
            report(msg, "WARNING")
        elif t == Gst.MessageType.PROPERTY_NOTIFY:
            obj, _name, value = msg.parse_property_notify()
            parent = obj.get_parent() if isinstance(obj, Gst.Pad) else None
            if parent is not None and parent.get_name() == SOURCE_CAPS_ELEMENT and value is not None:
                out("%s: caps = %s" % (obj.get_path_string(), value.to_string()))
        elif t == Gst.MessageType.LATENCY:
            # As gst-launch-1.0: live sources ask the application to redistribute latency.
            pipeline.recalculate_latency()
        elif t == Gst.MessageType.CLOCK_LOST:
            pipeline.set_state(Gst.State.PAUSED)
            pipeline.set_state(Gst.State.PLAYING)
        elif t == Gst.MessageType.BUFFERING and not live:
            # A network file source fills its buffer before playing on, as in gst-launch-1.0.
            percent = msg.parse_buffering()
            pipeline.set_state(Gst.State.PAUSED if percent < 100 else Gst.State.PLAYING)
        elif t == Gst.MessageType.REQUEST_STATE:
            pipeline.set_state(msg.parse_request_state())


if __name__ == "__main__":
    sys.exit(main())
