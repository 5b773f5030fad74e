"""Health checks."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from schema.models.base import (
    ResponseModel,
)


class Health(ResponseModel):
    status: Literal["ok"] = "ok"
    timestamp: int


class Readiness(ResponseModel):
    status: Literal["ready", "not_ready"]
    checks: dict[str, str]
    timestamp: int


class MemoryUsage(ResponseModel):
    used: float
    total: float
    percent: float
    unit: Literal["MB"] = "MB"


class CpuUsage(BaseModel):
    usage_percent: float
    count: int


class SystemInfo(ResponseModel):
    memory: MemoryUsage
    cpu: CpuUsage
    platform: str


class DetailedHealth(BaseModel):
    status: Literal["healthy", "degraded"]
    timestamp: str
    uptime: int = Field(description="ms since this process started")
    environment: str
    version: str
    system: SystemInfo
    checks: dict[str, str]
    warnings: list[str] = []
    message: str
