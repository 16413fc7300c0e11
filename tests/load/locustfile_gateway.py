"""Locust scenario "gateway throughput": the User Service through the API gateway.

Each user keeps one keep-alive connection busy (``FastHttpUser``, no wait between
requests) with mostly ``GET /users/123``, plus a small mix through the gateway's other
routes: ``GET /orders?user_id=123`` (the Order Service) and ``GET /users/123/summary``
(the gateway's own composition of both). Non-2xx answers count as failures.

Against the gateway (``backbone up``, or ``backbone serve`` users, orders and gateway)::

    locust -f tests/load/locustfile_gateway.py --headless -u 64 -r 16 -t 30s \\
        --host http://127.0.0.1:8000

The baseline is the same load against the User Service directly. It has neither
``/orders`` nor the summary, so keep only the tasks tagged ``users``::

    locust -f tests/load/locustfile_gateway.py --headless -u 64 -r 16 -t 30s \\
        --host http://127.0.0.1:9001 --tags users

Run both with ``--tags users`` for a like-for-like comparison. Locust is Python and one
process saturates one core well before the gateway does: on a small machine it measures
Locust as much as the gateway. Add ``--processes -1`` to use every core, or use
``backbone bench gateway`` (wrk, nginx as a reference, CPU per request) for raw numbers.
"""

from __future__ import annotations

from locust import FastHttpUser, constant, tag, task

USER_ID = 123


class GatewayUser(FastHttpUser):
    """One connection, requests back to back: 8 user reads for each order list and summary."""

    wait_time = constant(0)
    host = "http://127.0.0.1:8000"

    @tag("users")
    @task(8)
    def user(self) -> None:
        """The endpoint ``backbone bench gateway`` measures."""
        self.client.get(f"/users/{USER_ID}", name="/users/[id]")

    @tag("mix")
    @task(1)
    def orders(self) -> None:
        """The Order Service, through the gateway."""
        self.client.get(f"/orders?user_id={USER_ID}", name="/orders?user_id=[id]")

    @tag("mix")
    @task(1)
    def summary(self) -> None:
        """The user and their orders, composed by the gateway."""
        self.client.get(f"/users/{USER_ID}/summary", name="/users/[id]/summary")
