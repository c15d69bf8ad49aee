#!/usr/bin/python3
"""A real RTSP server for edgewatch's demo and tests (gst-rtsp-server through python3-gi).

Each --mount PATH=LAUNCH serves a gst-launch description that must end in an RTP
payloader named pay0. Presets: `testsrc` (a moving H.264 test pattern), `testsrc-h265`,
`testsrc-switch` (H.264 whose resolution flips every --switch-every seconds),
`audio-only` (no video track) and `file:<path>` (an H.264 MP4, looped). Prints
`READY <port>` once it listens. Unknown mounts answer 404 (gst-rtsp-server's own).
Optional --user/--password require basic auth on every mount.
"""
import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

PRESETS = {
    # is-live keeps real time; key frames every 15 frames so a client joins quickly.
    "testsrc": (
        "videotestsrc is-live=true pattern=ball ! video/x-raw,width={w},height={h},framerate={fps}/1 "
        "! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 ! video/x-h264,profile=baseline "
        "! rtph264pay name=pay0 pt=96 config-interval=1"
    ),
    "testsrc-h265": (
        "videotestsrc is-live=true pattern=ball ! video/x-raw,width={w},height={h},framerate={fps}/1 "
        "! x265enc tune=zerolatency speed-preset=ultrafast key-int-max=15 "
        "! rtph265pay name=pay0 pt=96 config-interval=1"
    ),
    # The picture size flips between WxH and (W/2)x(H/2) every --switch-every seconds, like
    # a camera whose resolution is changed in its web UI (a new SPS mid-stream).
    "testsrc-switch": (
        "videotestsrc is-live=true pattern=ball ! capsfilter name=switchcaps "
        "caps=video/x-raw,width={w},height={h},framerate={fps}/1 "
        "! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 ! video/x-h264,profile=baseline "
        "! rtph264pay name=pay0 pt=96 config-interval=1"
    ),
    # A stream without video: one audio track only.
    "audio-only": (
        "audiotestsrc is-live=true ! audioconvert ! audio/x-raw,format=S16BE,channels=1,rate=8000 "
        "! rtpL16pay name=pay0 pt=96"
    ),
}


def launch_for(spec, args):
    if spec in PRESETS:
        return "( " + PRESETS[spec].format(w=args.width, h=args.height, fps=args.fps) + " )"
    if spec.startswith("clip:"):
        # The file's own H.264, not re-encoded, from its start for every client and
        # without looping: the client's stream time is then the position in the file,
        # which the accuracy test matches against the clip's per-frame ground truth.
        path = spec[len("clip:"):]
        return (
            "( filesrc location=\"%s\" ! qtdemux ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=1 )"
            % path
        )
    if spec.startswith("file:"):
        path = spec[len("file:"):]
        # Decode and re-encode so every client gets key frames from its own start and the
        # file can loop; identity sync=true plays it at its own rate like a camera.
        return (
            "( multifilesrc location=\"%s\" loop=true ! qtdemux ! h264parse ! avdec_h264 ! videoconvert "
            "! identity sync=true ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 "
            "! rtph264pay name=pay0 pt=96 config-interval=1 )" % path
        )
    return "( " + spec + " )"


def _start_switching(_factory, media, args):
    caps_filter = media.get_element().get_by_name("switchcaps")
    sizes = [(args.width, args.height), (args.width // 2 // 2 * 2, args.height // 2 // 2 * 2)]
    state = {"i": 0}

    def flip():
        state["i"] ^= 1
        w, h = sizes[state["i"]]
        caps = Gst.Caps.from_string("video/x-raw,width=%d,height=%d,framerate=%d/1" % (w, h, args.fps))
        caps_filter.set_property("caps", caps)
        return True  # keep the GLib timeout

    GLib.timeout_add(int(args.switch_every * 1000), flip)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--mount", action="append", default=[], help="PATH=LAUNCH or PATH=preset")
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--height", type=int, default=480)
    ap.add_argument("--fps", type=int, default=15)
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--switch-every", type=float, default=3.0, help="testsrc-switch period (s)")
    args = ap.parse_args()

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    mounts = server.get_mount_points()
    if args.user:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "user")
        basic = GstRtspServer.RTSPAuth.make_basic(args.user, args.password or "")
        auth.add_basic(basic, token)
        server.set_auth(auth)
    for m in args.mount or ["/cam=testsrc"]:
        path, _, spec = m.partition("=")
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(launch_for(spec or "testsrc", args))
        # One shared media per mount, like a camera: every client sees the same stream.
        factory.set_shared(not (spec or "").startswith("clip:"))
        if args.user:
            perms = GstRtspServer.RTSPPermissions()
            perms.add_permission_for_role("user", "media.factory.access", True)
            perms.add_permission_for_role("user", "media.factory.construct", True)
            factory.set_permissions(perms)
        if spec == "testsrc-switch":
            factory.connect("media-configure", _start_switching, args)
        mounts.add_factory(path, factory)
    if server.attach(None) == 0:
        print("ERROR cannot listen on port %d" % args.port, flush=True)
        sys.exit(1)
    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    print("READY %d" % args.port, flush=True)
    loop.run()


if __name__ == "__main__":
    main()
