#!/usr/bin/env python3
"""ukb_verify.py BUNDLE PUBLIC-KEY.pem: checks an update bundle as a device must (docs/update.md):
the magic and format, the ECDSA P-256 signature over the header (with openssl), and every file's
size and SHA-256 against the payload. Prints the header's fields and one line per file; exits
1 with the reason on the first failure."""
import hashlib
import os
import struct
import subprocess
import sys
import tempfile

HEADER, SIGNED, TABLE, ENTRY = 4096, 3968, 144, 96


def fail(why):
    print(f"ukb_verify: {why}")
    sys.exit(1)


def text(b):
    return b.split(b"\0", 1)[0].decode()


def main():
    data = open(sys.argv[1], "rb").read()
    if len(data) < HEADER or data[:8] != b"UKBUNDLE":
        fail("not a bundle (no UKBUNDLE header)")
    fmt, size = struct.unpack_from("<II", data, 8)
    if fmt != 1 or size != HEADER:
        fail(f"format {fmt}, header {size}: not this version's")
    sig_len = struct.unpack_from("<H", data, SIGNED)[0]
    with tempfile.TemporaryDirectory() as d:
        open(os.path.join(d, "h"), "wb").write(data[:SIGNED])
        open(os.path.join(d, "s"), "wb").write(data[SIGNED + 2:SIGNED + 2 + sig_len])
        r = subprocess.run(["openssl", "dgst", "-sha256", "-verify", sys.argv[2], "-signature",
                            os.path.join(d, "s"), os.path.join(d, "h")], capture_output=True)
        if r.returncode != 0:
            fail("bad signature")
    payload, n = struct.unpack_from("<QI", data, 128)
    print(f"target {text(data[16:32])} app {text(data[32:96])} version {text(data[96:128])} "
          f"files {n} payload {payload}")
    at = HEADER
    for i in range(n):
        e = data[TABLE + ENTRY * i:TABLE + ENTRY * (i + 1)]
        name, fsize, digest = text(e[:56]), struct.unpack_from("<Q", e, 56)[0], e[64:96]
        body = data[at:at + fsize]
        if len(body) != fsize:
            fail(f"{name}: cut short")
        if hashlib.sha256(body).digest() != digest:
            fail(f"{name}: SHA-256 mismatch")
        print(f"{name} {fsize} {digest.hex()}")
        at += fsize
    if at != len(data) or at - HEADER != payload:
        fail("the payload is not the files the header lists")


main()
