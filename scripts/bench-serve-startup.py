#!/usr/bin/env python3
"""Start-up of `qmp4j serve` next to QEMU 7.2's (see docs/benchmarks.md, "Simulator").

For each variant, in alternating rounds: start the process, connect to its QMP socket as soon as
it accepts, read the greeting, send qmp_capabilities and query-status, and take the wall time from
starting the process to the query-status reply, and the CPU time the process has used by then
(/proc/PID/stat, all its threads; steadier than wall time on a loaded machine). The process is
killed after each measurement.

Usage: scripts/bench-serve-startup.py [ROUNDS] [NAME=COMMAND ...]
  COMMAND is split on blanks; SOCK in it becomes the socket path. Without variants:
    launcher   ./qmp4j serve --qmp unix:SOCK             (the launcher: class-data sharing archive)
    java-jar   java -jar qmp4j-cli/target/qmp4j.jar serve --qmp unix:SOCK
    sim-main   java -cp qmp4j-cli/target/qmp4j.jar org.qmp4j.sim.SimulatorMain --qmp unix:SOCK
    qemu       qemu-system-x86_64 -machine pc -nodefaults -display none -qmp unix:SOCK,server=on,wait=off
"""
import os
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JAR = os.path.join(ROOT, "qmp4j-cli", "target", "qmp4j.jar")
DEFAULTS = {
    "launcher": os.path.join(ROOT, "qmp4j") + " serve --qmp unix:SOCK",
    "java-jar": "java -jar " + JAR + " serve --qmp unix:SOCK",
    "sim-main": "java -cp " + JAR + " org.qmp4j.sim.SimulatorMain --qmp unix:SOCK",
    "qemu": "qemu-system-x86_64 -machine pc -nodefaults -display none"
    " -qmp unix:SOCK,server=on,wait=off",
}


def measure(cmd, sock):
    if os.path.exists(sock):
        os.unlink(sock)
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            s = socket.socket(socket.AF_UNIX)
            try:
                s.connect(sock)
                break
            except OSError:
                s.close()
                if time.monotonic() - t0 > 60 or p.poll() is not None:
                    raise SystemExit("did not start: " + " ".join(cmd))
                time.sleep(0.002)
        f = s.makefile("rwb")
        f.readline()
        f.write(b'{"execute":"qmp_capabilities"}\n{"execute":"query-status"}\n')
        f.flush()
        f.readline()
        line = f.readline()
        wall = time.monotonic() - t0
        if b'"status"' not in line:
            raise SystemExit("unexpected reply: %r" % line)
        stat = open("/proc/%d/stat" % p.pid).read().rsplit(")", 1)[1].split()
        cpu = (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
        s.close()
        return wall, cpu
    finally:
        p.kill()
        p.wait()


def main():
    args = sys.argv[1:]
    rounds = int(args.pop(0)) if args and args[0].isdigit() else 10
    variants = dict(a.split("=", 1) for a in args) if args else DEFAULTS
    tmp = tempfile.mkdtemp(prefix="qmp4j-serve-bench")
    results = {k: [] for k in variants}
    for _ in range(rounds):
        for name, cmd in variants.items():
            sock = os.path.join(tmp, name + ".sock")
            results[name].append(measure([a.replace("SOCK", sock) for a in cmd.split()], sock))
    print("load average before/after: see uptime; %d rounds" % rounds)
    for name, v in results.items():
        wall = sorted(x[0] * 1000 for x in v)
        cpu = sorted(x[1] * 1000 for x in v)
        print(
            "%-10s first reply: median %5.0f ms, min %5.0f, max %5.0f;"
            "  CPU by then: median %4.0f ms, min %4.0f"
            % (name, wall[len(wall) // 2], wall[0], wall[-1], cpu[len(cpu) // 2], cpu[0])
        )


if __name__ == "__main__":
    main()
