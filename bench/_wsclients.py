"""Processes holding many WebSocket clients that timestamp every message they receive.

Driven by the parent through a multiprocessing pipe, so that receiving (the heavy part on the
client side) does not share an event loop with the vote driver. Timestamps are
time.monotonic(), CLOCK_MONOTONIC, the same clock in every process of the machine.

``ClientPool`` splits the clients over several such processes, so that one process's single
core is not the floor of what is measured; each process reports the CPU time it used between
``mark()`` and the end of ``collect()`` (time.process_time: user + system, all its threads),
and how long its event loop's thread was runnable but waiting for a CPU (/proc schedstat): on
a shared machine a client can be the floor without being busy, by not being scheduled."""

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


def _run_delay() -> float:
    """Seconds this thread has spent runnable but waiting for a CPU (NaN if unknown)."""
    try:
        with open("/proc/thread-self/schedstat") as stat:
            return int(stat.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return float("nan")


def _sample() -> tuple[float, float, float]:
    return time.monotonic(), time.process_time(), _run_delay()


async def _sample_cpu(samples: list[tuple[float, float, float]], every: float = 0.25) -> None:
    """(wall, cpu, run delay) every ``every`` s. A busy loop wakes it late, but each sample is
    exact, so a share computed between two samples is still right."""
    while True:
        samples.append(_sample())
        await asyncio.sleep(every)


def _cpu_stats(samples: list[tuple[float, float, float]], window: float = 1.0) -> dict:
    """Whole-window CPU share of one core, the highest share over any ``window`` s, and the
    share of the window the loop's thread waited for a CPU."""
    wall = samples[-1][0] - samples[0][0]
    cpu = samples[-1][1] - samples[0][1]
    waited = samples[-1][2] - samples[0][2]
    peak, j = 0.0, 0
    for i, (t0, c0, _w0) in enumerate(samples):
        j = max(j, i + 1)
        while j < len(samples) and samples[j][0] - t0 < window:
            j += 1
        if j == len(samples):
            break
        t1, c1, _w1 = samples[j]
        peak = max(peak, (c1 - c0) / (t1 - t0))
    return {
        "wall": wall,
        "cpu": cpu,
        "share": cpu / wall if wall > 0 else 0.0,
        "peak": peak,
        "waited": waited / wall if wall > 0 else float("nan"),
    }


async def _main(conn) -> None:
    loop = asyncio.get_running_loop()
    clients: list[Client] = []
    samples: list[tuple[float, float]] = []
    sampler = None
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
        elif command == "mark":
            # The measured window starts: sample this process's CPU time until collect().
            samples = []
            if sampler is not None:
                sampler.cancel()
            sampler = asyncio.create_task(_sample_cpu(samples))
            await asyncio.sleep(0)
            conn.send(("marked",))
        elif command == "collect":
            target, timeout = args
            deadline = time.monotonic() + timeout
            reached = False
            while time.monotonic() < deadline:
                if all(client.high >= target for client in clients):
                    reached = True
                    break
                await asyncio.sleep(0.05)
            if samples:
                samples.append(_sample())
            if sampler is not None:
                sampler.cancel()
                sampler = None
            stats = _cpu_stats(samples) if len(samples) > 1 else {}
            samples = []  # a collect() without a mark() before it reports no CPU share
            stats.update({"clients": len(clients), "reached": reached})
            records = [(c.kind, c.seqs, c.times, c.sizes) for c in clients]
            conn.send(("records", records, stats))
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

    def send(self, *message) -> None:
        self.conn.send(message)

    def receive(self, what: str, timeout: float):
        if not self.conn.poll(timeout):
            raise TimeoutError(f"client process did not answer {what} in {timeout}s")
        return self.conn.recv()

    @staticmethod
    def connect_budget(count: int, timeout: float) -> float:
        return 30 + count * 0.05 + timeout

    def close(self) -> None:
        try:
            if self.proc.is_alive():
                self.send("exit")
                self.receive("exit", 10)
        except Exception:
            pass
        self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(5)


class ClientPool:
    """Up to ``size`` client processes; each connect() spreads its specs over ``processes`` of
    them, in contiguous slices (so each slice keeps the specs' own mix of ports and kinds).
    Every call goes to all the processes in use before any answer is awaited, so they work in
    parallel; collect() returns the records of all of them together (a vote's last receipt is
    then the latest over every process) and each process's CPU statistics."""

    def __init__(self, size: int) -> None:
        self.procs: list[ClientProcess] = []
        try:
            for _ in range(size):
                self.procs.append(ClientProcess())
        except BaseException:
            self.close()
            raise
        self.active: list[ClientProcess] = self.procs[:1]

    def connect(self, specs, processes: int, concurrency=100, timeout=20.0):
        """Returns (connected, failed, first errors, seconds until the slowest was done)."""
        processes = max(1, min(processes, len(self.procs), max(1, len(specs))))
        self.active = self.procs[:processes]
        bounds = [round(i * len(specs) / processes) for i in range(processes + 1)]
        for index, proc in enumerate(self.active):
            proc.send("connect", specs[bounds[index] : bounds[index + 1]], concurrency, timeout)
        ok = failed = 0
        errors: list[str] = []
        seconds = 0.0
        largest = max(bounds[i + 1] - bounds[i] for i in range(processes))
        budget = ClientProcess.connect_budget(largest, timeout)
        for proc in self.active:
            _, ok_, failed_, errors_, seconds_ = proc.receive("connect", budget)
            ok, failed, seconds = ok + ok_, failed + failed_, max(seconds, seconds_)
            errors.extend(errors_)
        return ok, failed, errors[:5], seconds

    def mark(self) -> None:
        """The measured window starts now (each process samples its CPU time from here)."""
        for proc in self.active:
            proc.send("mark")
        for proc in self.active:
            proc.receive("mark", 10)

    def collect(self, target: int, timeout: float = 10.0):
        """Waits (at most ``timeout``) until every client holds ``target``, closes them all;
        returns (records of every process, [CPU statistics per process])."""
        for proc in self.active:
            proc.send("collect", target, timeout)
        records, stats = [], []
        for proc in self.active:
            _, records_, stats_ = proc.receive("collect", timeout + 60)
            records.extend(records_)
            stats.append(stats_)
        return records, stats

    def close(self) -> None:
        for proc in self.procs:
            proc.close()


def last_read(records, seq):
    """When the last client held a message with a sequence number >= seq (None: some client
    never did)."""
    import bisect

    last = None
    for _kind, seqs, times, _sizes in records:
        index = bisect.bisect_left(seqs, seq)
        if index == len(seqs):
            return None
        last = times[index] if last is None else max(last, times[index])
    return last


def latencies(records, marks):
    """For each (t0, seq) mark: the time from t0 until the last client held a message with a
    sequence number >= seq. Returns (latencies, missed): missed counts marks some client never
    received."""
    result, missed = [], 0
    for t0, seq in marks:
        last = last_read(records, seq)
        if last is None:
            missed += 1
        else:
            result.append(last - t0)
    return result, missed
