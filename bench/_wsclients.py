"""A process holding many WebSocket clients that timestamp every message they receive.

Driven by the parent through a multiprocessing pipe, so that receiving (the heavy part on the
client side) does not share an event loop with the vote driver. Timestamps are
time.monotonic(), CLOCK_MONOTONIC, the same clock in every process of the machine."""

import asyncio
import time

SEQ_MARK = 'data-seq="'


def seq_of(message: str) -> int | None:
    start = message.find(SEQ_MARK)
    if start < 0:
        return None
    start += len(SEQ_MARK)
    end = message.find('"', start)
    try:
        return int(message[start:end])
    except ValueError:
        return None


class Client:
    __slots__ = ("ws", "seqs", "times", "sizes", "kind", "task", "high")

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.ws = None
        self.seqs: list[int] = []
        self.times: list[float] = []
        self.sizes: list[int] = []
        self.task = None
        self.high = -1

    async def run(self) -> None:
        try:
            async for message in self.ws:
                now = time.monotonic()
                if isinstance(message, bytes):
                    continue
                seq = seq_of(message)
                if seq is None:
                    continue
                self.high = max(self.high, seq)
                self.seqs.append(self.high)
                self.times.append(now)
                self.sizes.append(len(message.encode()))
        except Exception:
            pass


async def _connect_all(specs, concurrency: int, timeout: float):
    from websockets.asyncio.client import connect

    semaphore = asyncio.Semaphore(concurrency)
    errors: list[str] = []

    async def one(spec) -> Client | None:
        url, headers, origin, kind = spec
        client = Client(kind)
        async with semaphore:
            try:
                client.ws = await asyncio.wait_for(
                    connect(
                        url,
                        additional_headers=headers,
                        origin=origin,
                        compression=None,
                        ping_interval=None,
                        max_size=2**24,
                        open_timeout=timeout,
                        close_timeout=2,
                    ),
                    timeout,
                )
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}"[:200])
                return None
        client.task = asyncio.create_task(client.run())
        return client

    clients = await asyncio.gather(*(one(spec) for spec in specs))
    return [client for client in clients if client is not None], errors


async def _main(conn) -> None:
    loop = asyncio.get_running_loop()
    clients: list[Client] = []
    while True:
        command, *args = await loop.run_in_executor(None, conn.recv)
        if command == "connect":
            specs, concurrency, timeout = args
            started = time.monotonic()
            clients, errors = await _connect_all(specs, concurrency, timeout)
            # Handshakes done; let the consumers' connect() (group_add) settle on the server.
            await asyncio.sleep(0.5)
            dead = sum(1 for client in clients if client.task.done())
            conn.send(
                (
                    "connected",
                    len(clients) - dead,
                    len(specs) - len(clients) + dead,
                    errors[:5],
                    time.monotonic() - started,
                )
            )
        elif command == "collect":
            target, timeout = args
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if all(client.high >= target for client in clients):
                    break
                await asyncio.sleep(0.05)
            records = [(c.kind, c.seqs, c.times, c.sizes) for c in clients]
            conn.send(("records", records))
            await asyncio.gather(
                *(asyncio.wait_for(c.ws.close(), 3) for c in clients), return_exceptions=True
            )
            for client in clients:
                client.task.cancel()
            clients = []
        elif command == "exit":
            conn.send(("bye",))
            return


def main(conn) -> None:
    import sys

    sys.path.insert(0, __file__.rsplit("/", 1)[0])
    from _common import raise_open_files_limit

    raise_open_files_limit()
    asyncio.run(_main(conn))


class ClientProcess:
    """The parent's handle on the client process."""

    def __init__(self) -> None:
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.proc = context.Process(target=main, args=(child,), daemon=True)
        self.proc.start()

    def _call(self, *message, timeout: float):
        self.conn.send(message)
        if not self.conn.poll(timeout):
            raise TimeoutError(f"client process did not answer {message[0]} in {timeout}s")
        return self.conn.recv()

    def connect(self, specs, concurrency=100, timeout=20.0):
        budget = 30 + len(specs) * 0.05 + timeout
        _, ok, failed, errors, seconds = self._call(
            "connect", specs, concurrency, timeout, timeout=budget
        )
        return ok, failed, errors, seconds

    def collect(self, target: int, timeout: float = 10.0):
        return self._call("collect", target, timeout, timeout=timeout + 60)[1]

    def close(self) -> None:
        try:
            if self.proc.is_alive():
                self._call("exit", timeout=10)
        except Exception:
            pass
        self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(5)


def latencies(records, marks):
    """For each (t0, seq) mark: the time from t0 until the last client held a message with a
    sequence number >= seq. Returns (latencies, missed): missed counts marks some client never
    received."""
    import bisect

    result, missed = [], 0
    for t0, seq in marks:
        last = None
        for _kind, seqs, times, _sizes in records:
            index = bisect.bisect_left(seqs, seq)
            if index == len(seqs):
                last = None
                break
            last = times[index] if last is None else max(last, times[index])
        if last is None:
            missed += 1
        else:
            result.append(last - t0)
    return result, missed
