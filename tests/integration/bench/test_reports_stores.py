"""The stores of ``backbone bench reports``: embedded when no URL is set; nothing left after."""

from __future__ import annotations

import json

import psutil
import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from backbone.bench import _reports_stack
from backbone.bench._reports_stack import JobTable, Names, bench_stores, forget_keys
from backbone.bench._stack import bench_directory
from backbone.core.db import sync_database_url
from backbone.devstack import SignalGuard

pytestmark = pytest.mark.integration


def test_without_urls_the_stores_are_embedded_and_stopped_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No REDIS_URL / DATABASE_URL: embedded servers, a migrated database; all gone after."""
    nowhere = dict.fromkeys(("redis", "postgres"))
    monkeypatch.setattr(_reports_stack, "external_urls", lambda: nowhere)
    names = Names.new()
    before = {child.pid for child in psutil.Process().children()}
    with SignalGuard() as guard, bench_directory() as tmp:
        with bench_stores(tmp, guard, names) as stores:
            assert stores.origin == "embedded Redis and PostgreSQL"
            assert stores.database_url.endswith(f"/{names.database}")
            with redis.Redis.from_url(stores.redis_url) as client:
                assert client.ping()
            table = JobTable(stores.database_url)
            try:
                assert table.finished() == table.running() == table.cancel_open() == 0
            finally:
                table.close()
            servers = [child for child in psutil.Process().children() if child.pid not in before]
            assert sorted(child.name() for child in servers) == ["postgres", "redis-server"]
        _, alive = psutil.wait_procs(servers, timeout=5)
        assert alive == []
    url = sync_database_url(stores.database_url)
    engine = create_engine(url, connect_args={"connect_timeout": 2})
    with pytest.raises(OperationalError):
        engine.connect().execute(text("SELECT 1"))
    engine.dispose()


def test_forget_keys_removes_the_runs_traces_only(redis_url: str) -> None:
    """The run's keys, binding members, unacked messages and orphaned binding deadlines go;
    everyone else's stay."""
    ours, theirs = "bench-tok\x06\x16\x06\x16bench-tok", "reports\x06\x16\x06\x16reports"
    with redis.Redis.from_url(redis_url) as client:
        client.lpush("bench-tok", "message")
        client.set("bench-tok-count", 3)
        client.set("reports-count", 1)
        client.sadd("_kombu.binding.bench-tok", ours)
        client.sadd(
            "_kombu.binding.celery.pidbox", "x\x06\x16\x06\x16bench-tok-zero@h.pidbox", theirs
        )
        client.sadd("_kombu.binding_permanent.reports", theirs)
        client.hset("unacked", "tag-ours", json.dumps([{"queue": "bench-tok"}, "", "bench-tok"]))
        client.hset("unacked", "tag-theirs", json.dumps([{"queue": "reports"}, "", "reports"]))
        client.zadd("unacked_index", {"tag-ours": 1.0, "tag-theirs": 2.0})
        client.sadd("_kombu.binding.ours.pidbox", "x\x06\x16\x06\x16bench-tok-w@h.ours.pidbox")
        deadlines = {"ours.pidbox": 1.0, "celery.pidbox": 2.0, "reports.pidbox": 3.0}
        client.zadd("_kombu.binding_deadlines", deadlines)
        forget_keys(redis_url, "tok")
        assert sorted(client.scan_iter()) == [
            b"_kombu.binding.celery.pidbox",
            b"_kombu.binding_deadlines",
            b"_kombu.binding_permanent.reports",
            b"reports-count",
            b"unacked",
            b"unacked_index",
        ]
        assert client.smembers("_kombu.binding.celery.pidbox") == {theirs.encode()}
        assert client.hkeys("unacked") == [b"tag-theirs"]
        assert client.zrange("unacked_index", 0, -1) == [b"tag-theirs"]
        # Exchanges without a binding table (ours went with the run's member) have nothing
        # for kombu to sweep; one whose table others still use keeps its deadline.
        assert client.zrange("_kombu.binding_deadlines", 0, -1) == [b"celery.pidbox"]
