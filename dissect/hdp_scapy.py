"""HDP for scapy: the made-up transport on IP protocol 255.

    >>> import sys; sys.path.insert(0, "dissect")   # not needed once installed
    >>> from scapy.all import IP, rdpcap
    >>> from hdp_scapy import HDP
    >>> rdpcap("pcaps/lo4.pcap")[0].show()
    >>> raw(IP(dst="127.0.0.1") / HDP(dport=421) / b"hello")

Wire format (hdp_specification.md, section 4): all fields big-endian,
source port (2 bytes), destination port (2), timestamp (8: nanoseconds
since the Unix epoch when the sender built the datagram), then the payload,
opaque bytes to the end of the IP datagram.  There is no length field and
no checksum: the IP header delimits the payload, which scapy's IP and IPv6
layers already do (bytes past the IP length become Padding).

Importing this module binds HDP both ways (dissection and building) to
IPv4 protocol 255, IPv6 next header 255 (also behind the extension headers
hdp's decoder walks: hop-by-hop, routing, destination options, fragment,
AH; AH only in IPv6, as hdp reads it), and to UDP port 420 for the comparison mode of `hdp send --l4 udp`
(section 9; other UDP ports are left to `bind_layers(UDP, HDP, dport=N)`).

What a receiver must not decode as HDP stays Raw, as scapy does for every
layer it cannot dissect: a datagram whose HDP part is shorter than the
12-byte header (malformed, or cut by the capture's snaplen, or a first
fragment that splits the header), and any later IP fragment (offset > 0,
whose first bytes are payload, not a header: scapy's IP binds only
frag=0, and IPv6ExtHdrFragment returns Raw for offset > 0).
"""

import datetime
import struct
import time

from scapy.config import conf
from scapy.fields import LongField, ShortField
from scapy.layers.inet import IP, IPerror, UDP
from scapy.layers.inet6 import (IPv6, IPerror6, IPv6ExtHdrDestOpt,
                                IPv6ExtHdrFragment, IPv6ExtHdrHopByHop,
                                IPv6ExtHdrRouting, ipv6nhcls)
from scapy.packet import Packet, bind_bottom_up, bind_layers, bind_top_down

try:
    from scapy.layers.ipsec import AH as _AH
except ImportError:     # scapy without ipsec (no cryptography): no AH
    _AH = None

__all__ = ["HDP", "HDP_PROTO", "HDP_DEFAULT_PORT", "HDP_HDR_LEN",
           "hdp_ts_str"]

HDP_PROTO = 255           # IPv4 protocol / IPv6 next header
HDP_DEFAULT_PORT = 420    # the original tools' port, hdp's default
HDP_HDR_LEN = 12


def hdp_ts_str(ns):
    """An HDP timestamp as a UTC date with nanoseconds, e.g.
    '2026-11-18 11:06:40.123456789 UTC'.  The field is unsigned 64-bit,
    so every value fits (the last is in the year 2554)."""
    sec, frac = divmod(int(ns), 1000000000)
    day = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=sec)
    return "%s.%09d UTC" % (day.strftime("%Y-%m-%d %H:%M:%S"), frac)


class HDPTimestampField(LongField):
    """Unsigned 64-bit nanoseconds since the epoch, shown with its date.

    None (the default) means "now": the value is read from the wall clock
    (CLOCK_REALTIME, as `hdp send` does) when the packet is built, so
    every raw() of such a packet carries the time it was built."""

    def i2m(self, pkt, x):
        if x is None:
            x = time.time_ns()
        return x

    def i2repr(self, pkt, x):
        if x is None:
            return "None (now, when built)"
        return "%d (%s)" % (x, hdp_ts_str(x))


def _ip_of(pkt):
    """The nearest IP or IPv6 layer below pkt (skipping IPv6 extension
    headers), or None."""
    u = pkt.underlayer
    while u is not None and not isinstance(u, (IP, IPv6)):
        u = u.underlayer
    return u


class HDP(Packet):
    """The 12-byte HDP header; the payload that follows is Raw."""
    name = "HDP"
    fields_desc = [ShortField("sport", HDP_DEFAULT_PORT),
                   ShortField("dport", HDP_DEFAULT_PORT),
                   HDPTimestampField("timestamp", None)]

    @classmethod
    def dispatch_hook(cls, _pkt=None, *args, **kargs):
        """Raw, not HDP, for bytes that hold no HDP header a receiver may
        decode (hdp_specification.md, 6.1 and 5.1): fewer than 12 of them
        (a datagram too short, a capture cut inside the header, a first
        fragment that splits it), or an IPv4 header that lies about its
        own size (IHL < 5, or a Total Length shorter than the header,
        other than the 0 of segmentation offload), where scapy's IP would
        otherwise hand over bytes at a guessed offset."""
        if _pkt is None:
            return cls
        if len(_pkt) < HDP_HDR_LEN:
            return conf.raw_layer
        ip = kargs.get("_underlayer")
        if _AH is not None and isinstance(ip, _AH) and \
                isinstance(ip.underlayer, IP):
            # hdp walks AH only in IPv6's header chain (specification,
            # 5.2): in IPv4 the protocol is 51, not HDP's
            return conf.raw_layer
        if isinstance(ip, IP) and ip.ihl is not None and ip.len is not None:
            if ip.ihl < 5 or 0 < ip.len < ip.ihl * 4:
                return conf.raw_layer
        return cls

    def hashret(self):
        # the echo reply (hdp listen --echo) swaps the ports: hash them in
        # an order both directions share, as the payload differs
        return struct.pack("!HH", *sorted((self.sport, self.dport)))

    def answers(self, other):
        if not isinstance(other, HDP):
            return 0
        if conf.checkIPsrc and self.dport != other.sport:
            return 0
        return int(self.sport == other.dport)

    def mysummary(self):
        ip = _ip_of(self)
        ts = ("now" if self.timestamp is None
              else hdp_ts_str(self.timestamp))
        if isinstance(ip, IP):
            return ip.sprintf("HDP %IP.src%:") + self.sprintf(
                "%HDP.sport% > ") + ip.sprintf("%IP.dst%:") + self.sprintf(
                "%HDP.dport%") + " ts " + ts
        if isinstance(ip, IPv6):
            return ip.sprintf("HDP %IPv6.src%:") + self.sprintf(
                "%HDP.sport% > ") + ip.sprintf("%IPv6.dst%:") + self.sprintf(
                "%HDP.dport%") + " ts " + ts
        return self.sprintf("HDP %HDP.sport% > %HDP.dport%") + " ts " + ts


# IPv4: only fragment offset 0 holds the header (as scapy binds UDP)
bind_layers(IP, HDP, frag=0, proto=HDP_PROTO)
bind_layers(IPerror, HDP, frag=0, proto=HDP_PROTO)    # quoted in ICMP errors
# IPv6, and behind the extension headers the specification walks (5.2)
for _l in (IPv6, IPerror6, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting,
           IPv6ExtHdrDestOpt, IPv6ExtHdrFragment):
    bind_layers(_l, HDP, nh=HDP_PROTO)
if _AH is not None:
    bind_layers(_AH, HDP, nh=HDP_PROTO)
# any other header that chains by next header (mobility, segment routing)
ipv6nhcls[HDP_PROTO] = HDP
# the comparison mode: HDP inside UDP, port 420 either way
bind_bottom_up(UDP, HDP, dport=HDP_DEFAULT_PORT)
bind_bottom_up(UDP, HDP, sport=HDP_DEFAULT_PORT)
bind_top_down(UDP, HDP, sport=HDP_DEFAULT_PORT, dport=HDP_DEFAULT_PORT)
