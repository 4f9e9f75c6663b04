"""A fault-injecting TCP proxy for the network-fault tests (asyncio, in a background thread).

It listens on a free loopback port and forwards each connection to `target`; a plan, drawn from
a seeded random generator, decides per accepted connection what goes wrong on it:

    with FaultProxy(5432, seed=7) as proxy:          # proxy.port forwards to 127.0.0.1:5432
        proxy.plan = resets(count=3, direction="up", lo=64 << 10, hi=2 << 20)
        ... point the connector at 127.0.0.1:proxy.port ...
        proxy.injected                               # [Fault(conn=1, kind='reset', ...), ...]

Faults (a `Fault` per connection and direction; "up" is client → server, "down" server → client):
- reset: after `at` bytes in that direction, both sockets are closed with SO_LINGER 0 (a TCP RST
  to each side), as a dropped NAT entry or a crashed middlebox does;
- stall: after `at` bytes that direction stops moving for `seconds` (the connection stays open),
  then goes on;
- slow link: `proxy.rate` bytes/s per direction for every connection (None: unlimited).
The same seed gives the same sequence of decisions (connections are numbered in accept order).
"""
import asyncio
import random
import socket
import struct
import threading
from dataclasses import dataclass


@dataclass
class Fault:
    kind: str            # "reset" | "stall"
    direction: str       # "up" (client → server) | "down" (server → client)
    at: int              # bytes forwarded in that direction before the fault
    seconds: float = 0.0  # stall length
    conn: int = 0        # set when injected
    fired: bool = False


class FaultProxy:
    def __init__(self, target_port, target_host="127.0.0.1", seed=0):
        self.target = (target_host, target_port)
        self.rng = random.Random(seed)
        self.seed = seed
        self.plan = None          # callable(conn_index, rng) -> list of Fault (or None)
        self.rate = None          # bytes per second per direction, None = unlimited
        self.injected = []        # faults that fired, in order
        self.connections = 0
        self.bytes = {"up": 0, "down": 0}
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._server = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.port = None

    # --- lifecycle ---
    def start(self):
        self._thread.start()
        fut = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        fut.result(10)
        return self

    async def _start(self):
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def stop(self):
        async def close():
            self._server.close()
            await self._server.wait_closed()
            for task in [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]:
                task.cancel()
        try:
            asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def summary(self):
        kinds = {}
        for f in self.injected:
            kinds[f.kind] = kinds.get(f.kind, 0) + 1
        return {"seed": self.seed, "connections": self.connections, "faults": kinds, **self.bytes}

    # --- forwarding ---
    async def _handle(self, client_reader, client_writer):
        with self._lock:
            self.connections += 1
            index = self.connections
            faults = list((self.plan(index, self.rng) if self.plan else None) or [])
        for f in faults:
            f.conn = index
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
        except OSError:
            abort(client_writer)
            return
        writers = (client_writer, server_writer)
        up = asyncio.ensure_future(self._pipe(client_reader, server_writer, "up", faults, writers))
        down = asyncio.ensure_future(self._pipe(server_reader, client_writer, "down", faults, writers))
        await asyncio.wait([up, down], return_when=asyncio.FIRST_COMPLETED)
        # One side finished (EOF or a fault): let the other drain briefly, then close both.
        await asyncio.wait([up, down], timeout=5)
        for task in (up, down):
            task.cancel()
        for w in writers:
            try:
                w.close()
            except Exception:  # noqa: BLE001
                pass

    async def _pipe(self, reader, writer, direction, faults, writers):
        moved = 0
        pending = sorted((f for f in faults if f.direction == direction), key=lambda f: f.at)
        try:
            while True:
                chunk = await reader.read(64 << 10)
                if not chunk:
                    try:
                        writer.write_eof()
                    except (OSError, RuntimeError):
                        pass
                    return
                while chunk:
                    if pending and moved + len(chunk) >= pending[0].at:
                        fault = pending.pop(0)
                        head, chunk = chunk[:fault.at - moved], chunk[fault.at - moved:]
                        if head:
                            await self._send(writer, head, direction)
                            moved += len(head)
                        fault.fired = True
                        with self._lock:
                            self.injected.append(fault)
                        if fault.kind == "reset":
                            for w in writers:
                                abort(w)
                            return
                        await asyncio.sleep(fault.seconds)
                        continue
                    await self._send(writer, chunk, direction)
                    moved += len(chunk)
                    chunk = b""
        except (ConnectionError, OSError, asyncio.CancelledError):
            for w in writers:
                abort(w)

    async def _send(self, writer, data, direction):
        step = len(data) if not self.rate else max(1, min(len(data), self.rate // 20))
        for i in range(0, len(data), step):
            part = data[i:i + step]
            writer.write(part)
            await writer.drain()
            with self._lock:
                self.bytes[direction] += len(part)
            if self.rate:
                await asyncio.sleep(len(part) / self.rate)


def abort(writer):
    """Closes with a TCP RST (SO_LINGER 0), not a FIN."""
    try:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()
    except Exception:  # noqa: BLE001
        pass


# --- plans ---
def resets(count, direction, lo, hi, skip=0):
    """Cuts connections until `count` resets have fired: every connection after the first `skip`
    gets a reset after a random number of bytes in [lo, hi] in `direction` (one that closes
    sooner does not count)."""
    assigned = []

    def plan(index, rng):
        if index <= skip or sum(f.fired for f in assigned) >= count:
            return None
        fault = Fault("reset", direction, rng.randint(lo, hi))
        assigned.append(fault)
        return [fault]
    return plan


def stalls(count, direction, lo, hi, seconds, skip=0):
    """Stalls `count` connections once each for `seconds`, after a random number of bytes in [lo, hi]."""
    state = {"left": count}

    def plan(index, rng):
        if state["left"] <= 0 or index <= skip:
            return None
        state["left"] -= 1
        return [Fault("stall", direction, rng.randint(lo, hi), seconds)]
    return plan


def mixed(count, lo, hi, stall_seconds, reset_share=0.5):
    """`count` faults on random connections, each a reset or a stall, in either direction."""
    state = {"left": count}

    def plan(index, rng):
        if state["left"] <= 0 or rng.random() < 0.3:
            return None
        state["left"] -= 1
        kind = "reset" if rng.random() < reset_share else "stall"
        return [Fault(kind, rng.choice(["up", "down"]), rng.randint(lo, hi), stall_seconds)]
    return plan
