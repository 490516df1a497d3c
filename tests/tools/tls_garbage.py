#!/usr/bin/env python3
"""tls_garbage.py HOST PORT COUNT [SEED]: COUNT connections to a TLS server, each sending one bad
opening and closing: random bytes; a TLS record header with a random body or a length past
its end; a real ClientHello (made by Python's ssl module) cut at a random point, or with a byte
flipped. Prints how many connections were made; exits 1 if the server stopped accepting."""
import random
import socket
import ssl
import sys


def client_hello():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname="uk.test")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def opening(rng, hello):
    kind = rng.randrange(5)
    if kind == 0:
        return rng.randbytes(rng.randrange(1, 600))
    if kind == 1:  # a handshake record, random body
        body = rng.randbytes(rng.randrange(0, 400))
        return bytes([0x16, 3, 3]) + len(body).to_bytes(2, "big") + body
    if kind == 2:  # a record that claims more than it carries
        return bytes([rng.choice([0x14, 0x15, 0x16, 0x17]), 3, rng.randrange(0, 5)]) + \
            rng.randrange(0, 65536).to_bytes(2, "big") + rng.randbytes(rng.randrange(0, 50))
    if kind == 3:  # a real ClientHello, cut short
        return hello[:rng.randrange(1, len(hello))]
    flipped = bytearray(hello)  # a real ClientHello with one byte changed
    flipped[rng.randrange(len(flipped))] ^= 1 << rng.randrange(8)
    return bytes(flipped)


def main():
    host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 1)
    hello = client_hello()
    made = 0
    for _ in range(count):
        try:
            with socket.create_connection((host, port), timeout=10) as s:
                made += 1
                s.sendall(opening(rng, hello))
                s.shutdown(socket.SHUT_WR)
                s.settimeout(10)
                while s.recv(4096):  # until the server gives up on us
                    pass
        except (ConnectionResetError, BrokenPipeError, socket.timeout):
            pass
        except OSError as e:
            print(f"tls_garbage: connection {made + 1} failed: {e}")
            print(f"{made} connections")
            sys.exit(1)
    print(f"{made} connections")


main()
