"""Benchmark peer: incus_sdk (orbical-dev/incus_sdk, PyPI incus-sdk, aiohttp).

Usage: python incus_sdk_peer.py get|list SOCKET ID N CONCURRENCY
Run with the throwaway virtualenv bench/report.ts makes (never a dependency
of the project). Prints one JSON line: {"seconds": ..., "calls": N}.
"""
import asyncio
import json
import sys
import time

from incus_sdk import Client

mode, socket, op_id = sys.argv[1], sys.argv[2], sys.argv[3]
count, concurrency = int(sys.argv[4]), int(sys.argv[5]) if len(sys.argv) > 5 else 1
WARM_UP_CALLS = 200  # the same as every other client (bench/clients/_loop.ts)


async def main():
    async with Client(endpoint=f"unix://{socket}") as client:

        async def call():
            if mode == "get":
                op = await client.operations.get(op_id)
                assert op["id"] == op_id
            else:
                groups = await client.operations.list(recursion=1)
                assert isinstance(groups, dict)

        async def run(calls):
            left = [calls]

            async def worker():
                while left[0] > 0:
                    left[0] -= 1
                    await call()

            await asyncio.gather(*(worker() for _ in range(concurrency)))

        await run(min(WARM_UP_CALLS, count))
        start = time.perf_counter()
        await run(count)
        print(json.dumps({"seconds": time.perf_counter() - start, "calls": count}))


asyncio.run(main())
