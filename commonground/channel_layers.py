"""A Redis connection for channels-redis' core layer whose blocking reads outlast their wait.

The core layer receives with BZPOPMIN and a 5 s server-side wait. With a socket read timeout
below that (REDIS_SOCKET_TIMEOUT, a fraction of a second so that a hung Redis cannot hold a
worker), every read on an idle channel would time out on the client, drop the connection and
pause live updates: the race that redis-py 8's 5 s default caused (pyproject.toml). Here the
reply to a blocking command may take its own wait plus the socket timeout plus a second (Redis
answers a blocking timeout on its next 0.1 s tick, and a busy event loop reads it late); every
other reply keeps the short socket timeout. A hung Redis still fails the blocking read, after
that bound, in the layer's background receive: no request waits on it."""

from redis.asyncio.connection import Connection

BLOCKING_COMMANDS = {"BLPOP", "BRPOP", "BLMOVE", "BRPOPLPUSH", "BZPOPMIN", "BZPOPMAX"}
GRACE_SECONDS = 1.0


class BlockingReadConnection(Connection):
    _blocking_wait: float | None = None

    async def send_command(self, *args, **kwargs) -> None:
        name = args[0].decode() if isinstance(args[0], bytes) else str(args[0])
        # The wait is a blocking command's last argument (seconds).
        self._blocking_wait = float(args[-1]) if name.upper() in BLOCKING_COMMANDS else None
        await super().send_command(*args, **kwargs)

    async def read_response(self, *args, **kwargs):
        wait, self._blocking_wait = self._blocking_wait, None
        if wait is None or self.socket_timeout is None:
            return await super().read_response(*args, **kwargs)
        socket_timeout = self.socket_timeout
        self.socket_timeout = socket_timeout + wait + GRACE_SECONDS
        try:
            return await super().read_response(*args, **kwargs)
        finally:
            self.socket_timeout = socket_timeout
