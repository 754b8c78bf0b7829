"""bench/mkjoin.py KIND N TX RX: inputs for hdp sweep --join, N packets.

KIND ordinary: rows of 3 packets under numbers 0-255, as a sweep writes
them; oneline: one row (one JSON line) holding all N packets; onekey: N
lines, every packet with the same key (protocol, ports, timestamp).  RX is
the receiver's hdp listen --json: one socket line per packet.  Issue 15's
crafted inputs; run by bench/run.sh (join_line, join_key) and by
tests/sweep_join_crafted.sh.
"""
import json, sys
kind, n, tx, rx = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
def pk(ts):
    return {"ts": ts, "sport": 420, "dport": 420, "sent": True, "errno": 0,
            "error": None, "bytes": 36, "on_wire": True, "arrived": False,
            "delivered": False, "verdict": "left_sender", "drop_reason": None,
            "drop_location": None, "drop_at_socket": False}
def row(proto, pkts):
    return {"proto": proto, "method": "libnet", "dest": "10.0.0.2", "local": False,
            "count": len(pkts), "sent": len(pkts), "send_error": None, "bytes_client": 0,
            "on_wire": len(pkts), "arrived": None, "delivered": None, "received_server": 0,
            "bytes_server": 0, "src_server": None, "verdict": "left_sender",
            "drop_reason": None, "drop_location": None, "listen_error": None,
            "stack_drop_reason": None, "stack_drop_location": None, "latency_us": None,
            "packets": pkts}
base = 1700000000000000000
with open(tx, "w") as f:
    if kind == "ordinary":     # rows of 3 packets, as a sweep writes them
        for i in range(0, n, 3):
            f.write(json.dumps(row((i // 3) % 256, [pk(base + j) for j in range(i, min(n, i + 3))]), separators=(',', ':')) + "\n")
    elif kind == "oneline":    # one row holding every packet
        f.write(json.dumps(row(255, [pk(base + j) for j in range(n)]), separators=(',', ':')) + "\n")
    elif kind == "onekey":     # every line the same key
        for i in range(n):
            f.write(json.dumps(row(255, [pk(base)]), separators=(',', ':')) + "\n")
with open(rx, "w") as f:
    for j in range(n):
        ts = base if kind == "onekey" else base + j
        proto = 255 if kind != "ordinary" else (j // 3) % 256
        f.write(json.dumps({"layer": "socket", "proto": proto, "src": "10.0.0.1", "sport": 420,
                            "dport": 420, "hdp_ts_ns": ts, "time_ns": ts + 1000, "bytes": 36}) + "\n")
