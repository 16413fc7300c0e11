"""What the model is built from, read through the gateway with ``ResilientClient``: the
Order Service's orders (all, or those changed since a time) and the User Service's users.

The gateway's URL comes from configuration only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import httpx

from backbone.assistant.orders import gateway_client, read_list

__all__ = ["GatewaySource", "ModelSource", "SourceUnavailable"]


class SourceUnavailable(Exception):
    """The orders or the users could not be read (or there were more than the caps)."""


class ModelSource(Protocol):
    """Where a refresh reads orders and users from."""

    async def orders(self, *, updated_since: datetime | None) -> list[dict[str, Any]]:
        """Every order, or those changed at or after ``updated_since``."""

    async def user_ids(self) -> set[int]:
        """The id of every user."""


@dataclass(frozen=True, slots=True)
class GatewaySource:
    """The orders and users behind the gateway at ``gateway_url``."""

    gateway_url: str
    max_orders: int = 500_000
    max_users: int = 500_000
    request_timeout: float = 10.0
    transport: httpx.AsyncBaseTransport | None = None

    async def _list(self, path: str, cap: int, params: dict[str, str]) -> list[dict[str, Any]]:
        async with gateway_client(
            self.gateway_url, transport=self.transport, request_timeout=self.request_timeout
        ) as client:
            # One past the cap, to tell "exactly the cap" from "more than it".
            items = await read_list(
                client, path, max_items=cap + 1, params=params, error=SourceUnavailable
            )
        if len(items) > cap:
            raise SourceUnavailable(f"more than {cap} {path.strip('/')}: raise the cap")
        return items

    async def orders(self, *, updated_since: datetime | None) -> list[dict[str, Any]]:
        """Every order, or those changed at or after ``updated_since``."""
        params = {} if updated_since is None else {"updated_since": updated_since.isoformat()}
        orders = await self._list("/orders", self.max_orders, params)
        for order in orders:
            if not _is_order(order):
                raise SourceUnavailable(f"an order did not have the expected shape: {order!r:.200}")
        return orders

    async def user_ids(self) -> set[int]:
        """The id of every user of the User Service."""
        users = await self._list("/users", self.max_users, {})
        try:
            return {int(user["user_id"]) for user in users}
        except (KeyError, TypeError, ValueError) as exc:
            raise SourceUnavailable(f"a user did not have the expected shape: {exc!r}") from exc


def _is_order(order: dict[str, Any]) -> bool:
    items = order.get("items")
    return (
        isinstance(order.get("order_id"), int)
        and isinstance(order.get("user_id"), int)
        and isinstance(order.get("status"), str)
        and isinstance(items, list)
        and all(isinstance(item, dict) and isinstance(item.get("sku"), str) for item in items)
    )
