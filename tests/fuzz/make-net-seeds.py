#!/usr/bin/env python3
"""Writes the netrx_* seed corpora: frames a uk device receives (ARP, ICMP echo, a TCP
handshake and data to the echo port, UDP echo, a DHCP offer and ack, a DNS answer, IPv6
neighbour solicitation, router advertisement and echo, mDNS queries, IPv4 fragments, TCP
segments 2^31 from the receive window), each
framed as the driver's device delivers it. Seeds are checked in; run this again after
changing it: tests/fuzz/make-net-seeds.py"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
UK_MAC = bytes.fromhex("525400123456")
PEER_MAC = bytes.fromhex("5255 0a000202".replace(" ", ""))
BCAST = b"\xff" * 6
UK_IP, PEER_IP = bytes([10, 0, 2, 15]), bytes([10, 0, 2, 2])


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def eth(dst, typ, payload, src=PEER_MAC):
    return dst + src + struct.pack("!H", typ) + payload


def ip4(proto, payload, src=PEER_IP, dst=UK_IP, ident=1, frag=0):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, frag, 64, proto, 0,
                    src, dst)
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def l4sum(proto, src, dst, seg):
    return csum(src + dst + struct.pack("!BBH", 0, proto, len(seg)) + seg)


def udp(sport, dport, data, src=PEER_IP, dst=UK_IP):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    return seg[:6] + struct.pack("!H", l4sum(17, src, dst, seg)) + seg[8:]


def tcp(sport, dport, seq, ack, flags, data=b"", opts=b""):
    off = (20 + len(opts)) // 4
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, off << 4, flags, 65535, 0, 0)
    seg += opts + data
    return seg[:16] + struct.pack("!H", l4sum(6, PEER_IP, UK_IP, seg)) + seg[18:]


def arp_request():
    return eth(BCAST, 0x0806, struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, PEER_MAC,
                                          PEER_IP, b"\0" * 6, UK_IP))


def icmp_echo():
    m = struct.pack("!BBHHH", 8, 0, 0, 0x1234, 1) + b"ping" * 8
    m = m[:2] + struct.pack("!H", csum(m)) + m[4:]
    return eth(UK_MAC, 0x0800, ip4(1, m))


def tcp_session(port):
    mss = b"\x02\x04\x05\xb4\x01\x03\x03\x07\x04\x02\x00\x00"
    isn = 1000
    return [eth(UK_MAC, 0x0800, ip4(6, tcp(40000, port, isn, 0, 0x02, opts=mss))),
            # the ACK of uk's SYN-ACK: uk's ISN is the harness's (netstack.c uk_tcp_isn)
            eth(UK_MAC, 0x0800, ip4(6, tcp(40000, port, isn + 1, (0x12345678 ^ (port << 16 | 40000)) + 1, 0x10))),
            eth(UK_MAC, 0x0800, ip4(6, tcp(40000, port, isn + 1, (0x12345678 ^ (port << 16 | 40000)) + 1, 0x18,
                                           b"GET / HTTP/1.0\r\n\r\n"))),
            eth(UK_MAC, 0x0800, ip4(6, tcp(40000, port, isn + 19, 0, 0x11)))]


def tcp_far_seqno(port=7, sport=40001):
    """Segments about 2^31 from uk's rcv_nxt, which lwIP 2.1.3 cannot take (tcp_receive's
    "insane offset!" at exactly 2^31 for one sequence number of length: a byte, or a FIN) and
    lwip_port/listen.c drops: in SYN_RCVD the handshake's ACK with a byte, then on the established
    connection a byte, a FIN, the band's two ends and a RST; then the echo still works."""
    isn = 2000
    nxt = isn + 1
    ack = (0x12345678 ^ (port << 16 | sport)) + 1  # uk's ISN + 1 (netstack.c uk_tcp_isn)

    def seg(off, flags, data=b""):
        return eth(UK_MAC, 0x0800, ip4(6, tcp(sport, port, (nxt + off) & 0xFFFFFFFF, ack,
                                              flags, data)))
    half, band = 1 << 31, 1 << 16
    return [eth(UK_MAC, 0x0800, ip4(6, tcp(sport, port, isn, 0, 0x02))),
            seg(half, 0x18, b"x"),  # SYN_RCVD: would complete the handshake
            seg(0, 0x10),
            seg(half, 0x18, b"x"),
            seg(half, 0x11),
            seg(half - band, 0x18, b"x"),
            seg(half + band, 0x18, b"x"),
            seg(half, 0x04),
            seg(0, 0x18, b"hello"),
            seg(5, 0x11)]


def udp_echo():
    return eth(UK_MAC, 0x0800, ip4(17, udp(5000, 7, b"hello, uk")))


def dhcp(msgtype):
    xid = 0  # the fuzzer learns the right one
    bootp = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 2, 1, 6, 0, xid, 0, 0, b"\0" * 4,
                        UK_IP, PEER_IP, b"\0" * 4, UK_MAC + b"\0" * 10, b"", b"")
    opts = bytes([53, 1, msgtype, 54, 4]) + PEER_IP + bytes([51, 4, 0, 0, 0x0e, 0x10, 1, 4,
                                                             255, 255, 255, 0, 3, 4]) + PEER_IP
    opts += bytes([6, 4, 10, 0, 2, 3, 255])
    payload = bootp + b"\x63\x82\x53\x63" + opts
    return eth(BCAST, 0x0800, ip4(17, udp(67, 68, payload, dst=b"\xff" * 4), dst=b"\xff" * 4))


def dns_answer():
    q = b"\x06broker\x07example\x00" + struct.pack("!HH", 1, 1)
    a = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + bytes([10, 0, 2, 99])
    msg = struct.pack("!HHHHHH", 0, 0x8180, 1, 1, 0, 0) + q + a
    return eth(UK_MAC, 0x0800, ip4(17, udp(53, 49153, msg, src=bytes([10, 0, 2, 3])),
                                    src=bytes([10, 0, 2, 3])))


def mdns_query(name, qtype):
    labels = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    msg = struct.pack("!HHHHHH", 0, 0, 1, 0, 0, 0) + labels + struct.pack("!HH", qtype, 1)
    mip = bytes([224, 0, 0, 251])
    return eth(bytes.fromhex("01005e0000fb"), 0x0800,
               ip4(17, udp(5353, 5353, msg, dst=mip), dst=mip))


LL_UK = bytes.fromhex("fe80000000000000505400fffe123456")
LL_PEER = bytes.fromhex("fe800000000000000000000000000002")


def ip6(nh, payload, src=LL_PEER, dst=LL_UK, hop=255):
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), nh, hop, src, dst) + payload


def icmp6(typ, code, body, src=LL_PEER, dst=LL_UK):
    m = struct.pack("!BBH", typ, code, 0) + body
    ph = src + dst + struct.pack("!IxxxB", len(m), 58)
    m = m[:2] + struct.pack("!H", csum(ph + m)) + m[4:]
    return ip6(58, m, src, dst)


def ns():
    return eth(UK_MAC, 0x86DD, icmp6(135, 0, b"\0" * 4 + LL_UK + b"\x01\x01" + PEER_MAC))


def ra():
    allnodes = bytes.fromhex("ff020000000000000000000000000001")
    pio = struct.pack("!BBBBIII16s", 3, 4, 64, 0xC0, 86400, 14400, 0,
                      bytes.fromhex("20010db8000000010000000000000000"))
    body = struct.pack("!BBHII", 64, 0, 1800, 0, 0) + b"\x01\x01" + PEER_MAC + pio
    body += struct.pack("!BBHI", 5, 1, 0, 1500)
    return eth(bytes.fromhex("333300000001"), 0x86DD, icmp6(134, 0, body, dst=allnodes))


def echo6():
    return eth(UK_MAC, 0x86DD, icmp6(128, 0, struct.pack("!HH", 7, 1) + b"v6" * 10))


def fragments():
    data = udp(5000, 7, b"x" * 100)
    return [eth(UK_MAC, 0x0800, ip4(17, data[:64], ident=7, frag=0x2000)),
            eth(UK_MAC, 0x0800, ip4(17, data[64:], ident=7, frag=8))]


SEEDS = {
    "arp": (0, [arp_request()]),
    "icmp": (0, [arp_request(), icmp_echo()]),
    "tcp-echo": (0, tcp_session(7)),
    "tcp-http": (0, tcp_session(80)),
    "regress-tcp-far-seqno": (0, tcp_far_seqno()),
    "udp-echo": (0, [udp_echo()]),
    "dhcp": (1, [dhcp(2), dhcp(5)]),
    "dns": (2, [dns_answer()]),
    "ipv6": (0, [ns(), ra(), echo6()]),
    "mdns": (0, [mdns_query("uk-fuzz.local", 1), mdns_query("uk-fuzz.local", 28)]),
    "fragments": (0, fragments()),
}


def record(data, control=0x10):
    return bytes([control]) + struct.pack("<H", len(data)) + data


def le32(v):
    return struct.pack("<I", v)


def frame_for(driver, f):
    if driver == "virtio":
        return b"\0" * 12 + f  # struct virtio_net_hdr with num_buffers (VERSION_1)
    if driver == "cdc_ecm":
        return f
    fcs = b"\0\0\0\0"
    n = len(f) + 4
    if driver == "smsc95xx":
        hdr = le32(n << 16)
    else:
        hdr = le32(n) + le32(0) + b"\0\0"
    body = hdr + f + fcs
    return body + b"\0" * (-len(body) % 4)


for driver in ("virtio", "cdc_ecm", "smsc95xx", "lan78xx"):
    d = os.path.join(HERE, "corpus", "netrx_" + driver)
    os.makedirs(d, exist_ok=True)
    for name, (mode, frames) in SEEDS.items():
        out = bytes([mode])
        if driver in ("smsc95xx", "lan78xx"):
            # the chips pack several frames into one bulk transfer
            out += record(b"".join(frame_for(driver, f) for f in frames))
        else:
            out += b"".join(record(frame_for(driver, f)) for f in frames)
        with open(os.path.join(d, name + ".bin"), "wb") as fh:
            fh.write(out)
