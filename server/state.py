"""Typed keys for what the app holds: everything a handler needs is reachable from the app."""

from __future__ import annotations

import asyncpg
import redis.asyncio as redis
from aiohttp import web

from collab.relay import Relay
from collab.rooms import LocalRooms
from server.auth.passwords import Passwords
from server.config import Settings
from server.http.rate_counter import RateCounter
from server.metrics import Metrics
from server.realtime.gateway import Gateway
from server.realtime.heartbeat import Heartbeat
from server.runs.manager import RunManager
from server.session_lifecycle import SessionLifecycle
from server.test_runs.manager import TestRunManager

SETTINGS = web.AppKey("settings", Settings)
POOL = web.AppKey("pool", asyncpg.Pool)
REDIS = web.AppKey("redis", redis.Redis)
STARTED_AT = web.AppKey("started_at", float)
RELAY = web.AppKey("relay", Relay)
ROOMS = web.AppKey("rooms", LocalRooms)
HEARTBEAT = web.AppKey("heartbeat", Heartbeat)
LIFECYCLE = web.AppKey("lifecycle", SessionLifecycle)
GATEWAY = web.AppKey("gateway", Gateway)
RUNS = web.AppKey("runs", RunManager)
TEST_RUNS = web.AppKey("test_runs", TestRunManager)
JWT_KEY = web.AppKey("jwt_key", bytes)
PASSWORDS = web.AppKey("passwords", Passwords)
RATE_COUNTER = web.AppKey("rate_counter", RateCounter)
METRICS = web.AppKey("metrics", Metrics)
