"""What a live push or a socket meets when a service is down: the database unreachable, or
Redis (the channel layer, the shared window). Answered with "try again", logged in one line."""

from django.db import InterfaceError, OperationalError
from redis.exceptions import RedisError

OUTAGES = (OperationalError, InterfaceError, RedisError)
