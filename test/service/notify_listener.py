#!/usr/bin/python3
"""A stand-in for systemd's notify socket: an AF_UNIX datagram socket with SO_PASSCRED,
printing one JSON line per datagram with the sender's pid from SCM_CREDENTIALS and the
arrival time on CLOCK_MONOTONIC (seconds; the clock of Node's process.hrtime)."""
import json
import os
import socket
import struct
import sys
import time

path = sys.argv[1]
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
sock.bind(path)
print(json.dumps({"listening": path}), flush=True)
creds_size = struct.calcsize("3i")
while True:
    data, ancdata, _flags, _addr = sock.recvmsg(4096, socket.CMSG_SPACE(creds_size))
    pid = None
    for level, kind, payload in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid, _uid, _gid = struct.unpack("3i", payload[:creds_size])
    msg = data.decode("utf-8", "replace")
    print(json.dumps({"pid": pid, "msg": msg, "t": time.monotonic()}), flush=True)
