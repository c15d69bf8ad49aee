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
- on stdout, a line per caps change of the sink pad of the element named `ewsource`, as
  gst-launch-1.0 -v's notify lines: `<pad path>: caps = <caps>` (caps.ts
  sourceCapsFromVerboseLine). Written from a probe on the caps event, not from the
  deep-notify messages gst-launch uses: under load those lost the sink pad's line now
  and then, and frames went out with an unknown source size;
- on stderr, `ERROR: from element <path>: <message>`, `Additional debug info:` and the
  debug text; `WARNING: erroneous pipeline: <why>` for a description that does not parse
  (errors.ts classifies both);
- exit status 0 after end-of-stream, 1 after an error; SIGTERM, SIGINT and SIGPIPE end
  it at once, like gst-launch-1.0 (their default actions).
And it dies with the daemon, even a SIGKILLed one (PR_SET_PDEATHSIG, set first thing).

Beyond gst-launch-1.0, two things the daemon asks for in the environment:
- EDGEWATCH_LOOP=1: at end of stream, seek back to the start instead of exiting (a
  looping file keeps its child, its decoder and its negotiated sizes). The end-of-stream
  event is taken at the gate, before it reaches the sink, and the seek goes to the
  element named `ewsource`: gdppay refuses seeks, so a seek on the pipeline fails, and a
  bin posts its EOS message only once. The pipeline pauses around the seek and restarts
  its clock at 0, so a file paced at real time (clocksync) is paced again in every loop;
- EDGEWATCH_FLOW=gate|block: frame credits. The daemon writes one byte on stdin for each
  frame it can take (it has room for one per camera: frame-credits.ts). A pad probe on the sink
  pad of the element named `ewgate` (the scaler, describe.ts GATE_ELEMENT) lets a buffer
  through only against a credit, so no frame is scaled, converted or piped that the model
  will not see. `gate` drops the buffers that find no credit (a live source cannot wait;
  a leaky queue before the gate keeps the decoder running); `block` holds the streaming
  thread until a credit comes (a file read as fast as the model goes: nothing dropped,
  nothing decoded ahead). Once a second, when they changed, the counts go to stdout as
  `ewgate: passed=N dropped=M`. End of stdin (the daemon went away) ends the child.
"""
import ctypes
import os
import signal
import sys
import threading


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
GATE_ELEMENT = "ewgate"  # describe.ts GATE_ELEMENT
STATS_INTERVAL_NS = Gst.SECOND


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


class Gate:
    """Frame credits from the daemon (stdin) against buffers at the gate's sink pad."""

    def __init__(self, mode):
        self.block = mode == "block"
        self.credits = 0
        self.passed = 0
        self.dropped = 0
        self.reported = (0, 0)
        self.closing = False
        self.cond = threading.Condition()

    def attach(self, pipeline):
        element = pipeline.get_by_name(GATE_ELEMENT)
        pad = element.get_static_pad("sink") if element is not None else None
        if pad is None:
            return False
        pad.add_probe(Gst.PadProbeType.BUFFER, self.on_buffer)
        threading.Thread(target=self.read_credits, daemon=True).start()
        return True

    def on_buffer(self, _pad, _info):
        with self.cond:
            if self.block:
                while self.credits == 0 and not self.closing:
                    self.cond.wait()
            if self.credits == 0:
                self.dropped += 1
                return Gst.PadProbeReturn.DROP
            self.credits -= 1
            self.passed += 1
            return Gst.PadProbeReturn.OK

    def read_credits(self):
        while True:
            try:
                data = os.read(0, 64)
            except InterruptedError:
                continue
            except OSError:
                data = b""
            if not data:
                # The daemon closed the pipe or died: nobody reads the frames any more.
                os._exit(0)
            with self.cond:
                self.credits += len(data)
                self.cond.notify()

    def close(self):
        # A streaming thread held for a credit would keep set_state(NULL) waiting forever.
        with self.cond:
            self.closing = True
            self.cond.notify_all()

    def report(self):
        with self.cond:
            counts = (self.passed, self.dropped)
        if counts != self.reported:
            self.reported = counts
            out("ewgate: passed=%d dropped=%d" % counts)


LOOP_MESSAGE = "ewloop"


def probe_sink_events(pipeline, name, on_event):
    """Calls on_event(event) for each downstream event at the sink pad of element `name`."""
    element = pipeline.get_by_name(name)
    pad = element.get_static_pad("sink") if element is not None else None
    if pad is None:
        return False
    pad.add_probe(Gst.PadProbeType.EVENT_DOWNSTREAM, lambda _pad, info: on_event(info.get_event()))
    return True


def report_source_caps(pipeline):
    """Prints the decoded size as it reaches `ewsource`, before any scaling."""

    def on_event(event):
        if event.type == Gst.EventType.CAPS:
            path = pipeline.get_by_name(SOURCE_CAPS_ELEMENT).get_static_pad("sink").get_path_string()
            out("%s: caps = %s" % (path, event.parse_caps().to_string()))
        return Gst.PadProbeReturn.OK

    return probe_sink_events(pipeline, SOURCE_CAPS_ELEMENT, on_event)


def loop_at_end(pipeline):
    """Turns the end of stream at the gate into a loop request for the main thread."""

    def on_event(event):
        if event.type != Gst.EventType.EOS:
            return Gst.PadProbeReturn.OK
        # A streaming thread must not seek its own pipeline: the main thread does.
        pipeline.post_message(Gst.Message.new_application(pipeline, Gst.Structure.new_empty(LOOP_MESSAGE)))
        return Gst.PadProbeReturn.DROP

    return probe_sink_events(pipeline, GATE_ELEMENT, on_event)


def rewind(pipeline):
    pipeline.set_state(Gst.State.PAUSED)
    ok = pipeline.get_by_name(SOURCE_CAPS_ELEMENT).seek_simple(
        Gst.Format.TIME, Gst.SeekFlags.FLUSH | Gst.SeekFlags.KEY_UNIT, 0
    )
    # Running time starts at 0 again after the flush; so must the pipeline's clock.
    pipeline.set_start_time(0)
    pipeline.set_state(Gst.State.PLAYING)
    return ok


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
    gate = None
    flow = os.environ.get("EDGEWATCH_FLOW")
    if flow:
        gate = Gate(flow)
        if not gate.attach(pipeline):
            err("WARNING: erroneous pipeline: frame credits asked for but no element named %s" % GATE_ELEMENT)
            return 1
    loop = os.environ.get("EDGEWATCH_LOOP") == "1"
    if loop and not loop_at_end(pipeline):
        err("WARNING: erroneous pipeline: looping asked for but no element named %s" % GATE_ELEMENT)
        return 1
    if not report_source_caps(pipeline):
        err("WARNING: erroneous pipeline: no element named %s" % SOURCE_CAPS_ELEMENT)
        return 1
    bus = pipeline.get_bus()
    code = run(pipeline, bus, gate)
    if gate:
        gate.close()
    pipeline.set_state(Gst.State.NULL)
    return code


def run(pipeline, bus, gate):
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
        msg = bus.timed_pop(STATS_INTERVAL_NS if gate else Gst.CLOCK_TIME_NONE)
        if gate:
            gate.report()
        if msg is None:
            continue
        t = msg.type
        if t == Gst.MessageType.ERROR:
            report(msg, "ERROR")
            return 1
        if t == Gst.MessageType.EOS:
            out('Got EOS from element "%s".' % pipeline.get_name())
            return 0
        if t == Gst.MessageType.APPLICATION and msg.get_structure().get_name() == LOOP_MESSAGE:
            out("Looping: end of stream, seeking to the start.")
            if not rewind(pipeline):
                # The source cannot seek: exit as at the end, and the daemon starts the
                # child again (camera.ts).
                err("WARNING: from element %s: cannot seek to the start; exiting to loop" % SOURCE_CAPS_ELEMENT)
                return 0
            continue
        if t == Gst.MessageType.WARNING:
            report(msg, "WARNING")
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
