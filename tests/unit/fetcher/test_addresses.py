import ipaddress

import pytest

from services.fetcher.addresses import BlockedAddress, check_destination, refusal


@pytest.mark.parametrize(
    "address",
    ["10.1.2.3", "172.16.0.1", "192.168.1.1", "127.0.0.1", "::1", "fc00::1", "100.64.0.1"],
)
def test_private_and_loopback_addresses_are_refused_for_ordinary_sources(address: str):
    assert refusal(ipaddress.ip_address(address), local=False) is not None


@pytest.mark.parametrize("address", ["169.254.169.254", "fe80::1", "0.0.0.0", "224.0.0.1"])
def test_metadata_link_local_and_reserved_addresses_are_refused_even_for_local_sources(
    address: str,
):
    assert refusal(ipaddress.ip_address(address), local=True) is not None


def test_a_local_source_may_reach_loopback_and_private_addresses():
    assert refusal(ipaddress.ip_address("127.0.0.1"), local=True) is None
    assert refusal(ipaddress.ip_address("10.0.0.5"), local=True) is None


def test_a_public_address_is_allowed():
    assert refusal(ipaddress.ip_address("93.184.215.14"), local=False) is None


def test_an_ipv4_mapped_ipv6_address_is_judged_as_its_ipv4():
    assert refusal(ipaddress.ip_address("::ffff:169.254.169.254"), local=True) is not None


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://10.0.0.1/feed", "private"),
        ("http://metadata.google.internal/computeMetadata/v1/", "metadata"),
        ("file:///etc/passwd", "only http"),
        ("http://localhost/feed", "loopback"),
    ],
)
async def test_urls_that_lead_inside_are_refused_with_a_reason(url: str, reason: str):
    with pytest.raises(BlockedAddress, match=reason):
        await check_destination(url)


async def test_a_local_sources_own_host_may_be_loopback_and_no_other_host():
    await check_destination("http://127.0.0.1:8080/feed", local_hosts={"127.0.0.1"})
    with pytest.raises(BlockedAddress, match="loopback"):
        await check_destination("http://localhost:8080/page", local_hosts={"127.0.0.1"})
    with pytest.raises(BlockedAddress, match="link-local"):
        await check_destination("http://169.254.169.254/", local_hosts={"169.254.169.254"})


async def test_a_name_with_one_internal_address_among_public_ones_is_refused():
    async def resolver(host: str, port: int) -> list[str]:
        return ["93.184.215.14", "10.0.0.7"]

    with pytest.raises(BlockedAddress, match=r"private address \(10\.0\.0\.7\)"):
        await check_destination("https://news.example/feed", resolver=resolver)
