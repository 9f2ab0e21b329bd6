"""The integration suite's guard: a stopped broker is reported by name, at once."""

from __future__ import annotations

import socket

from tests.infra import why_down


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_stopped_broker_is_reported_as_down_with_where_its_log_is():
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        mongo = f"mongodb://127.0.0.1:{listening.getsockname()[1]}"
        problem = why_down(kafka=f"127.0.0.1:{closed_port()}", mongo=mongo)
    assert problem is not None
    assert "Kafka broker is down" in problem
    assert "var/log/kafka.log" in problem
    assert "MongoDB" not in problem


def test_nothing_is_reported_when_both_answer():
    with socket.socket() as a, socket.socket() as b:
        for s in (a, b):
            s.bind(("127.0.0.1", 0))
            s.listen()
        assert (
            why_down(f"127.0.0.1:{a.getsockname()[1]}", f"mongodb://127.0.0.1:{b.getsockname()[1]}")
            is None
        )
