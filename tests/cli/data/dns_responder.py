"""A DNS responder on port 53 for the system-resolver test (standard library only).

    python3 dns_responder.py READY_FILE ADDRESS NAME=IP...

Listens on ADDRESS:53, answers A queries for the names given as NAME=IP and NXDOMAIN for any
other name, and creates READY_FILE once it listens.
"""
import socket
import struct
import sys

ready, address = sys.argv[1], sys.argv[2]
answers = dict(arg.split("=", 1) for arg in sys.argv[3:])
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind((address, 53))
open(ready, "w").close()

while True:
    query, peer = sock.recvfrom(512)
    ident, _flags, _qd = struct.unpack(">HHH", query[:6])
    labels, at = [], 12
    while query[at]:
        labels.append(query[at + 1 : at + 1 + query[at]].decode())
        at += 1 + query[at]
    question = query[12 : at + 5]
    qtype = struct.unpack(">H", query[at + 1 : at + 3])[0]
    name = ".".join(labels).lower()
    if name in answers:
        records = b""
        count = 0
        if qtype == 1:
            records = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 300, 4) + socket.inet_aton(answers[name])
            count = 1
        header = struct.pack(">HHHHHH", ident, 0x8180, 1, count, 0, 0)
    else:
        header = struct.pack(">HHHHHH", ident, 0x8183, 1, 0, 0, 0)
        records = b""
    sock.sendto(header + question + records, peer)
