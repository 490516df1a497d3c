#!/usr/bin/env python3
"""qmp.py SOCKET COMMAND [JSON-ARGUMENTS] ...: runs QMP commands, in order, on a QEMU started with
-qmp unix:SOCKET,server,nowait, and prints each one's "return" as a JSON line. Exits 1 on the
first error, printing it. Used by tests that change a device model while the guest runs."""
import json
import socket
import sys


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    f = s.makefile("rw")
    f.readline()  # the greeting

    def run(command, arguments):
        f.write(json.dumps({"execute": command, "arguments": arguments}) + "\n")
        f.flush()
        while True:
            reply = json.loads(f.readline())
            if "error" in reply:
                sys.exit(f"qmp: {command}: {reply['error']}")
            if "return" in reply:
                return reply["return"]

    run("qmp_capabilities", {})
    rest = sys.argv[2:]
    while rest:
        command, rest = rest[0], rest[1:]
        arguments = {}
        if rest and rest[0].startswith("{"):
            arguments, rest = json.loads(rest[0]), rest[1:]
        print(json.dumps(run(command, arguments)))


main()
