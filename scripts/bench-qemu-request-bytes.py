#!/usr/bin/env python3
"""How much a request's length costs QEMU 7.2: pipelined query-status through a raw socket, in
several encodings, alternating, against one QEMU (-machine none -S). QEMU reads its monitor one
byte per main-loop iteration (monitor_can_read returns 0 or 1), so its rate follows the bytes.

usage: scripts/bench-qemu-request-bytes.py [ROUNDS] [COUNT]
"""
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 5
COUNT = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
DEPTH = 64

FORMS = {
    "QEMU spacing, no id": b'{"execute": "query-status"}\r\n',
    "dense, no id": b'{"execute":"query-status"}\n',
    "dense, id 12": b'{"execute":"query-status","id":12}\n',
    "dense, id 123456 (qmp4j now)": b'{"execute":"query-status","id":123456}\n',
    "spaced, id \"qmp4j-123456\" (qmp4j before)": b'{"execute": "query-status", "id": "qmp4j-123456"}\r\n',
}


def pipelined(sock, reader, request):
    start = time.perf_counter()
    sock.sendall(request * DEPTH)
    sent = DEPTH
    for _ in range(COUNT):
        reader.readline()
        if sent < COUNT:
            sock.sendall(request)
            sent += 1
    return COUNT / (time.perf_counter() - start)


def main():
    path = os.path.join(tempfile.mkdtemp(), "qmp.sock")
    qemu = subprocess.Popen(["qemu-system-x86_64", "-S", "-machine", "none", "-nodefaults",
                             "-display", "none", "-qmp", f"unix:{path},server=on,wait=off"])
    try:
        while not os.path.exists(path):
            time.sleep(0.01)
        sock = socket.socket(socket.AF_UNIX)
        sock.connect(path)
        reader = sock.makefile("rb")
        reader.readline()
        sock.sendall(b'{"execute":"qmp_capabilities","arguments":{"enable":["oob"]}}\n')
        reader.readline()
        rates = {name: [] for name in FORMS}
        for _ in range(ROUNDS):
            for name, request in FORMS.items():
                rates[name].append(pipelined(sock, reader, request))
        base = statistics.median(rates["QEMU spacing, no id"])
        print(f"{ROUNDS} rounds of {COUNT} pipelined query-status ({DEPTH} in flight), "
              f"load {os.getloadavg()[0]:.1f}")
        for name, request in FORMS.items():
            m = statistics.median(rates[name])
            print(f"{name:42} {len(request):3d} B  median {m:7.0f}/s  {m / base:.3f}")
    finally:
        qemu.kill()
        qemu.wait()


if __name__ == "__main__":
    main()
