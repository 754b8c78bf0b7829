#!/usr/bin/env python3
# trace_send.py: send COUNT HDP datagrams (IP protocol 255) to DEST through a
# raw socket, each with its own nanosecond timestamp; the tests' stand-in
# for `hdp send` where that is not built.  Standard library only.
#   trace_send.py SRC DEST COUNT [PAYLOAD]
import socket
import struct
import sys
import time


def main():
    src, dst, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    payload = (sys.argv[4] if len(sys.argv) > 4 else "where").encode()
    v6 = ":" in dst
    fam = socket.AF_INET6 if v6 else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_RAW, 255)   # IPPROTO_RAW: hdrincl
    for i in range(count):
        hdp = struct.pack("!HHQ", 420, 420, time.time_ns()) + payload
        if v6:
            ip = struct.pack("!IHBB16s16s", 6 << 28, len(hdp), 255, 64,
                             socket.inet_pton(fam, src),
                             socket.inet_pton(fam, dst))
        else:
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(hdp),
                             i & 0xffff, 0, 64, 255, 0,
                             socket.inet_aton(src), socket.inet_aton(dst))
        s.sendto(ip + hdp, (dst, 0))
        time.sleep(0.001)


main()
