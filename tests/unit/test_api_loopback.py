"""L1/L2 at the settings layer: the API binds loopback only, whatever the configuration says, and the Host
check accepts exactly the names of the bound address and port."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from webbridge import config
from webbridge.api.loopback import allowed_hosts, host_allowed, loopback_host, port_number
from webbridge.api.server import bind_loopback
from webbridge.errors import ConfigError


@pytest.mark.parametrize(
    ("value", "bound"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("::1", "::1"),
        ("[::1]", "::1"),
        ("localhost", "127.0.0.1"),
        (" LOCALHOST ", "127.0.0.1"),
    ],
)
def test_loopback_addresses_are_accepted(value: str, bound: str) -> None:
    assert loopback_host(value) == bound


@pytest.mark.parametrize(
    "value",
    [
        "0.0.0.0",
        "::",
        "[::]",
        "",
        "192.168.1.10",
        "10.0.0.1",
        "127.0.0.2",
        "8.8.8.8",
        "example.com",
        "::ffff:127.0.0.1",
        "0",
        "127.1",
    ],
)
def test_anything_else_is_a_config_error_naming_the_field(value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        loopback_host(value, "config.toml: api_host")
    assert "config.toml: api_host" in caught.value.message and repr(value) in caught.value.message


def test_a_wildcard_in_the_environment_stops_the_settings_from_loading(tmp_path: Path) -> None:
    env = {"WEBBRIDGE_HOME": str(tmp_path), "WEBBRIDGE_API_HOST": "0.0.0.0"}
    with pytest.raises(ConfigError) as caught:
        config.load(env)
    assert "WEBBRIDGE_API_HOST" in caught.value.message and "api_host" in caught.value.message


def test_a_wildcard_in_the_config_file_names_the_file_and_the_field(tmp_path: Path) -> None:
    settings = config.load({"WEBBRIDGE_HOME": str(tmp_path)})
    settings.paths.config.mkdir(parents=True)
    settings.config_file.write_text('[daemon]\napi_host = "::"\napi_port = 8123\n')
    with pytest.raises(ConfigError) as caught:
        config.load({"WEBBRIDGE_HOME": str(tmp_path)})
    assert str(settings.config_file) in caught.value.message and "api_host" in caught.value.message


def test_defaults_and_valid_overrides(tmp_path: Path) -> None:
    settings = config.load({"WEBBRIDGE_HOME": str(tmp_path)})
    assert (settings.api_enabled, settings.api_host, settings.api_port) == (True, "127.0.0.1", 0)
    settings = config.load(
        {
            "WEBBRIDGE_HOME": str(tmp_path),
            "WEBBRIDGE_API_HOST": "::1",
            "WEBBRIDGE_API_PORT": "8123",
            "WEBBRIDGE_API_ENABLED": "off",
        }
    )
    assert (settings.api_enabled, settings.api_host, settings.api_port) == (False, "::1", 8123)


@pytest.mark.parametrize("value", ["-1", "65536", "http", "1.5", True])
def test_bad_ports_are_refused(value: object) -> None:
    with pytest.raises(ConfigError, match="api_port"):
        port_number(value)


def test_the_host_check_is_exact() -> None:
    assert allowed_hosts(8123) == {"127.0.0.1:8123", "localhost:8123", "[::1]:8123"}
    for good in ("127.0.0.1:8123", "LOCALHOST:8123", "[::1]:8123"):
        assert host_allowed(good, 8123)
    for bad in (
        None,
        "",
        "127.0.0.1",
        "localhost",
        "127.0.0.1:8124",
        "evil.test:8123",
        "localhost.:8123",
        "127.0.0.1:8123.evil.test",
        "127.0.0.2:8123",
        "[::ffff:127.0.0.1]:8123",
        "0.0.0.0:8123",
        "localhost:8123@evil.test",
    ):
        assert not host_allowed(bad, 8123), bad


def test_bind_rechecks_the_host_and_binds_only_loopback() -> None:
    with pytest.raises(ConfigError):
        bind_loopback("0.0.0.0", 0)
    sock = bind_loopback("127.0.0.1", 0)
    try:
        assert sock.family == socket.AF_INET and sock.getsockname()[0] == "127.0.0.1"
    finally:
        sock.close()
