"""channels-redis' core layer, with a blocking read that fits inside the socket timeout.

The core layer receives with BZPOPMIN and a 5 s server-side timeout. With a socket read timeout
below that (REDIS_SOCKET_TIMEOUT, a fraction of a second so that a hung Redis cannot hold a
worker), every read on an idle channel would time out on the client, drop the connection and
pause live updates: the race that redis-py 8's 5 s default caused (pyproject.toml). Here the
server-side wait is half the socket timeout, so an idle read returns empty before the client
gives up, and a read that gets no answer at all (Redis hung) fails within the timeout."""

from channels_redis import core


class RedisChannelLayer(core.RedisChannelLayer):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        socket_timeouts = [
            host["socket_timeout"]
            for host in self.hosts
            if isinstance(host, dict) and host.get("socket_timeout")
        ]
        if socket_timeouts:
            # Redis' blocking timeouts are accurate to its event loop tick (about 0.1 s).
            self.brpop_timeout = max(0.05, min(socket_timeouts) / 2)
