import pytest

from tests.seed import SEED_VARIABLE, session_seed


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/integration/" in str(item.path):
            item.add_marker(pytest.mark.integration)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    # Hypothesis draws from the run's seed too (its plugin reads the option after this).
    if getattr(config.option, "hypothesis_seed", "absent") is None:
        config.option.hypothesis_seed = session_seed()


def pytest_report_header() -> str:
    return f"{SEED_VARIABLE}={session_seed()} (set it to replay this run's random choices)"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int) -> None:
    if exitstatus != 0:
        terminalreporter.write_line(
            f"to replay the random choices: {SEED_VARIABLE}={session_seed()}"
        )
