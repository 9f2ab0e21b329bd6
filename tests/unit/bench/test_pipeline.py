import subprocess
import sys

from bench.pipeline import cpu_seconds

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
