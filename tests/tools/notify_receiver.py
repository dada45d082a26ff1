#!/usr/bin/env python3
"""Listens on a unix datagram socket like systemd's notify socket and writes
each message it receives, one line per state, to a file (for shoald_notify_test.sh).
Usage: notify_receiver.py SOCKET_PATH OUT_FILE SECONDS"""
import socket
import sys
import time

path, out, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(0.2)
end = time.monotonic() + seconds
with open(out, "a", buffering=1) as f:
    while time.monotonic() < end:
        try:
            msg = s.recv(4096).decode(errors="replace")
        except socket.timeout:
            continue
        for line in msg.splitlines():
            f.write("%.3f %s\n" % (time.monotonic(), line))
