import pytest

from bench.site import _milliseconds, read_report, search_path

OPEN, CLOSE = "\u2018", "\u2019"  # curly single quotes, as headlines print them


def test_a_search_is_for_the_headlines_longest_word_without_its_quotes() -> None:
    assert search_path(f"Researchers warn of {OPEN}poisoning{CLOSE}") == "/search?q=researchers"
    assert search_path(f"AI: the {OPEN}poisoning{CLOSE} risk") == "/search?q=poisoning"


def test_a_word_with_an_accent_is_percent_encoded_for_wrk() -> None:
    assert search_path("Café débâcle") == "/search?q=d%C3%A9b%C3%A2cle"


def test_wrks_times_read_in_milliseconds_whatever_their_unit() -> None:
    assert [_milliseconds(t) for t in ("850.00us", "235.36ms", "1.20s", "2.00m")] == [
        0.85,
        235.36,
        1200.0,
        120_000.0,
    ]


def test_a_time_wrk_would_not_print_is_refused_saying_what_it_was() -> None:
    with pytest.raises(ValueError, match="'-nan'"):
        _milliseconds("-nan")


# A report that stopped a `make bench`: the latency's stdev share ends in "99%".
REPORT = """Running 10s test @ http://127.0.0.1:48199/category.html
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   669.48us    1.07ms  35.31ms   92.99%
    Req/Sec    29.43k     3.64k   37.06k    68.50%
  Latency Distribution
     50%  388.00us
     75%  802.00us
     90%    1.46ms
     99%    4.32ms
  586135 requests in 10.02s, 6.95GB read
Requests/sec:  58522.82
Transfer/sec:    710.43MB
"""


def test_wrks_p99_is_read_from_its_latency_distribution() -> None:
    assert read_report("nginx", REPORT) == (58522.82, 4.32, 586135)


def test_a_report_without_a_p99_is_refused_with_the_report() -> None:
    cut = REPORT.replace("     99%    4.32ms\n", "")
    with pytest.raises(RuntimeError, match="wrk's report for nginx not understood"):
        read_report("nginx", cut)
