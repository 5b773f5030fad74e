"""Typed keys for what the app holds: everything a handler needs is reachable from the app."""

from __future__ import annotations

import asyncpg
import redis.asyncio as redis
from aiohttp import web

from collab.rooms import RoomRegistry
from server.config import Settings
from server.passwords import Passwords
from server.rate_counter import RateCounter
from server.realtime.gateway import Gateway
from server.runs.manager import RunManager

SETTINGS = web.AppKey("settings", Settings)
POOL = web.AppKey("pool", asyncpg.Pool)
REDIS = web.AppKey("redis", redis.Redis)
STARTED_AT = web.AppKey("started_at", float)
REGISTRY = web.AppKey("registry", RoomRegistry)
GATEWAY = web.AppKey("gateway", Gateway)
RUNS = web.AppKey("runs", RunManager)
JWT_KEY = web.AppKey("jwt_key", bytes)
PASSWORDS = web.AppKey("passwords", Passwords)
RATE_COUNTER = web.AppKey("rate_counter", RateCounter)
