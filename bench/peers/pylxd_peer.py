"""Benchmark peer: pylxd (Debian python3-pylxd) doing the report's workloads.

Usage: python3 pylxd_peer.py get|list SOCKET ID N
Prints one JSON line: {"seconds": <time of the N timed calls>, "calls": N}.
pylxd finds the socket through LXD_DIR (the socket's folder). It has no
operations list call, so "list" uses its raw API node, as a pylxd user would.
"""
import json
import os
import sys
import time

mode, socket, op_id, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
os.environ["LXD_DIR"] = os.path.dirname(socket)
os.environ["PYLXD_WARNINGS"] = "none"

from pylxd import Client  # noqa: E402

client = Client()


def call():
    if mode == "get":
        op = client.operations.get(op_id)
        assert op.id == op_id
    else:
        groups = client.api.operations.get(params={"recursion": "1"}).json()["metadata"]
        assert isinstance(groups, dict)


for _ in range(min(200, count)):  # WARM_UP_CALLS, as every client
    call()
start = time.perf_counter()
for _ in range(count):
    call()
print(json.dumps({"seconds": time.perf_counter() - start, "calls": count}))
