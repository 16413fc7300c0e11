"""backbone.bench: the benchmarks behind ``backbone bench NAME`` (client, gateway, reports,
assistant, review, community, locust, all).

Each compares against a baseline measured in the same run, prints rich tables and
the goals it checks, and never gates anything:

- :func:`bench_client`: what :class:`~backbone.resilience.ResilientClient` costs per
  successful request, against bare httpx and tenacity;
- :func:`bench_gateway`: the API gateway in front of the User Service, against the
  service direct and nginx (:class:`GatewayOptions`);
- :func:`bench_reports`: the report API under load, and its job throughput against
  bare Celery (:class:`ReportsOptions`);
- :func:`bench_assistant`: the assistant API under load, its analyses per second
  against the same crew kicked off bare, and its recommendations against a constant
  route of the same server (:class:`AssistantOptions`);
- :func:`bench_review`: the code-review webhook's acknowledgement under 50 concurrent
  deliveries against the same server's floor, nothing lost, and its reviews per minute
  against the same review built bare (:class:`ReviewOptions`);
- :func:`bench_community`: the community bot's lead detector with its CRM write, against
  the phrase rules alone and one bare ``INSERT`` per lead, and the day's summary of
  5,000 messages on the offline engine against its libraries bare
  (:class:`CommunityOptions`);
- :func:`bench_locust`: the Locust scenarios on a stack of their own, with Locust's
  HTML and CSV reports (:class:`LocustOptions`);
- :func:`bench_all`: every one of them in turn, their results kept in one folder
  (:class:`AllOptions`; ``make bench``).

The processes they start come from :mod:`backbone.devstack`. Only the CLI and the
tests import this package (an import-linter contract says so); it needs the
``bench`` extra: ``pip install 'backbone[bench]'``.
"""

from backbone.bench._all import BENCHMARKS, AllOptions, bench_all
from backbone.bench._assistant import AssistantOptions, bench_assistant
from backbone.bench._client import bench_client
from backbone.bench._community import CommunityOptions, bench_community
from backbone.bench._gateway import GatewayOptions, bench_gateway
from backbone.bench._locust import LocustOptions, bench_locust
from backbone.bench._reports import ReportsOptions, bench_reports
from backbone.bench._review import ReviewOptions, bench_review

__all__ = [
    "BENCHMARKS",
    "AllOptions",
    "AssistantOptions",
    "CommunityOptions",
    "GatewayOptions",
    "LocustOptions",
    "ReportsOptions",
    "ReviewOptions",
    "bench_all",
    "bench_assistant",
    "bench_client",
    "bench_community",
    "bench_gateway",
    "bench_locust",
    "bench_reports",
    "bench_review",
]
