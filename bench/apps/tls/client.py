#!/usr/bin/env python3
"""bench/apps/tls/client.py: the host side of bench/tls.sh, Python's ssl module (the host's
OpenSSL) through QEMU's hostfwd on 127.0.0.1. The server's certificate is checked against CA
(the self-signed certificate itself) and the name uk.test. TLS 1.2 (all mbed TLS 2.28 does),
ECDHE on P-256, a new session every time (no session is ever reused).
  client.py first PORT CA SECONDS GO
      gets ready (Python's start takes ~100 ms here), creates GO.ready and waits for the file
      GO to say "T0_NS QEMU_PID" (date +%s%N just before QEMU was started, its pid); then a new
      attempt (connect, handshake, "GET /", wait for "HTTP/1.0 200") every 5 ms, each given up
      after 1 s, at most 200 open, until one is answered: prints the ms from T0_NS to that
      answer; exit 1 when SECONDS pass or QEMU_PID exits first
  client.py handshakes PORT CA N
      one warm-up, then N connections one after the other: each TCP connect, then the full
      handshake timed alone (ClientHello to Finished), then "GET /" and the answer read to
      the end; prints the median handshake in microseconds, then all of them, then the cipher
"""
import os
import socket
import ssl
import statistics
import sys
import threading
import time

REQ = b"GET / HTTP/1.0\r\nHost: uk.test\r\n\r\n"


def context(ca):
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.load_verify_locations(ca)
    c.minimum_version = c.maximum_version = ssl.TLSVersion.TLSv1_2
    c.set_ecdh_curve("prime256v1")
    return c


def get(ctx, port, timeout):
    """One connection: (handshake seconds, cipher, answer bytes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        t = time.perf_counter()
        with ctx.wrap_socket(s, server_hostname="uk.test") as ts:
            hs = time.perf_counter() - t
            ts.sendall(REQ)
            data = b""
            while True:
                b = ts.recv(65536)
                if not b:
                    break
                data += b
            return hs, ts.cipher()[0], data


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def first(port, ca, seconds, go):
    ctx = context(ca)
    open(go + ".ready", "w").close()
    while True:
        try:
            with open(go) as f:
                t0_ns, pid = map(int, f.read().split())
            break
        except (OSError, ValueError):
            time.sleep(0.0005)
    done = threading.Event()
    when = []
    lock = threading.Lock()

    def attempt():
        try:
            _, _, data = get(ctx, port, 1.0)
        except (OSError, ssl.SSLError):
            return
        if data.startswith(b"HTTP/1.0 200") and not done.is_set():
            with lock:
                when.append(time.time_ns())
            done.set()

    end = time.monotonic() + seconds
    while not done.is_set():
        if time.monotonic() > end or not alive(pid):
            return 1
        if threading.active_count() < 200:
            threading.Thread(target=attempt, daemon=True).start()
        done.wait(0.005)
    print((min(when) - t0_ns) // 1000000)
    return 0


def handshakes(port, ca, n):
    ctx = context(ca)
    get(ctx, port, 30)
    times, cipher = [], ""
    for _ in range(n):
        hs, cipher, data = get(ctx, port, 30)
        if not data.startswith(b"HTTP/1.0 200"):
            print("no answer", file=sys.stderr)
            return 1
        times.append(int(hs * 1e6))
    print(int(statistics.median(times)), " ".join(map(str, times)), cipher)
    return 0


if __name__ == "__main__":
    a = sys.argv
    if a[1] == "first":
        sys.exit(first(int(a[2]), a[3], float(a[4]), a[5]))
    if a[1] == "handshakes":
        sys.exit(handshakes(int(a[2]), a[3], int(a[4])))
    sys.exit(2)
