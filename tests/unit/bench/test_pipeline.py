import subprocess
import sys

from bench.pipeline import ONE_HOST, PipelineRun, cpu_seconds
from services.registry import SERVICES

# A child that spins for 0.3 s of CPU and ends; its parent waits for it, then idles.
PARENT = """
import subprocess, sys, time
subprocess.run([sys.executable, "-c", "import time\\nwhile time.process_time() < 0.3: pass"])
print("child ended", flush=True)
time.sleep(60)
"""


def test_a_process_is_charged_the_cpu_of_its_children_that_ended() -> None:
    # As PostgreSQL's postmaster is charged for its backends that ended during a run.
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        assert parent.stdout.readline() == "child ended\n"  # and waited for: reaped
        assert cpu_seconds(parent.pid) >= 0.3
    finally:
        parent.kill()
        parent.wait()


def run_with(visible_at: list[float]) -> PipelineRun:
    return PipelineRun(
        offered_per_second=50.0,
        released=len(visible_at),
        visible=len(visible_at),
        seconds=max(visible_at),
        latencies=[1.0] * len(visible_at),
        visible_at=sorted(visible_at),
        peak_memory_mib={},
        unaccounted=0,
        freshness={},
        cpu_ms_per_article={},
        database={},
    )


def test_a_pipeline_that_keeps_up_shows_the_offered_rate_whatever_its_delay() -> None:
    # 1,000 articles released at 50/s over 20 s, each on the site 7 s after its release.
    run = run_with([7.0 + n / 50 for n in range(1000)])
    assert round(run.steady_per_second) == 50
    assert run.per_second < 38  # the delay is in it: 1,000 in 27 s


def test_a_pipeline_that_falls_behind_shows_the_rate_it_manages() -> None:
    # The same release, the site showing 25 articles a second from the first.
    run = run_with([7.0 + n / 25 for n in range(1000)])
    assert round(run.steady_per_second) == 25


def test_the_bench_departs_from_the_defaults_only_in_settings_its_services_have() -> None:
    # An unknown PRESSROOM_ variable is ignored: a renamed setting would leave the bench
    # measuring the default without a word.
    for service, settings in ONE_HOST.items():
        fields = SERVICES[service].settings_class.model_fields
        assert set(settings) <= set(fields), service
        for name, value in settings.items():
            assert str(fields[name].default) != value, f"{service}.{name} is its default"
