import pytest

from pingone_operator.config import ConfigError, load_operator_settings, load_pingone_settings

ENV = "abfba8f6-49eb-49f5-a5d9-80ad5c98f9f6"
BASE = {
    "PINGONE_ENVIRONMENT_ID": ENV,
    "PINGONE_CLIENT_ID": "worker",
    "PINGONE_CLIENT_SECRET": "s3cr3t-value-that-must-not-show",
}


def test_region_default_builds_pingone_com_urls():
    s = load_pingone_settings(BASE)
    assert s.api_url == "https://api.pingone.com/v1"
    assert s.auth_url == "https://auth.pingone.com"
    assert s.token_url == f"https://auth.pingone.com/{ENV}/as/token"
    assert s.token_auth_method == "CLIENT_SECRET_BASIC"


@pytest.mark.parametrize("region", ["eu", "ca", "com.au", "sg", "asia"])
def test_each_region_selects_its_hosts(region):
    s = load_pingone_settings({**BASE, "PINGONE_REGION": region})
    assert s.api_url == f"https://api.pingone.{region}/v1"
    assert s.auth_url == f"https://auth.pingone.{region}"


def test_url_overrides_win_over_region():
    s = load_pingone_settings({**BASE, "PINGONE_REGION": "eu", "PINGONE_API_URL": "http://127.0.0.1:9/v1/",
                               "PINGONE_AUTH_URL": "http://127.0.0.1:9"})
    assert s.api_url == "http://127.0.0.1:9/v1"
    assert s.auth_url == "http://127.0.0.1:9"


@pytest.mark.parametrize(
    "override, variable",
    [
        ({"PINGONE_ENVIRONMENT_ID": ""}, "PINGONE_ENVIRONMENT_ID"),
        ({"PINGONE_ENVIRONMENT_ID": "not-a-uuid"}, "PINGONE_ENVIRONMENT_ID"),
        ({"PINGONE_CLIENT_ID": " "}, "PINGONE_CLIENT_ID"),
        ({"PINGONE_CLIENT_SECRET": ""}, "PINGONE_CLIENT_SECRET"),
        ({"PINGONE_REGION": "us"}, "PINGONE_REGION"),
        ({"PINGONE_TOKEN_AUTH_METHOD": "PRIVATE_KEY_JWT"}, "PINGONE_TOKEN_AUTH_METHOD"),
        ({"PINGONE_API_URL": "ftp://x"}, "PINGONE_API_URL"),
        ({"PINGONE_REQUESTS_PER_SECOND": "fast"}, "PINGONE_REQUESTS_PER_SECOND"),
    ],
)
def test_bad_values_name_the_variable(override, variable):
    with pytest.raises(ConfigError) as err:
        load_pingone_settings({**BASE, **override})
    assert str(err.value).startswith(variable)


def test_secret_never_shows_in_repr_or_errors():
    s = load_pingone_settings(BASE)
    assert "s3cr3t" not in repr(s) and "s3cr3t" not in str(s.client_secret)
    assert s.client_secret.value == BASE["PINGONE_CLIENT_SECRET"]


def test_auth_method_is_case_insensitive():
    assert load_pingone_settings({**BASE, "PINGONE_TOKEN_AUTH_METHOD": "client_secret_jwt"}).token_auth_method == "CLIENT_SECRET_JWT"


def test_operator_settings():
    s = load_operator_settings({"WATCH_NAMESPACES": "team-a, team-b", "DRIFT_INTERVAL_SECONDS": "30"})
    assert s.watch_namespaces == ("team-a", "team-b")
    assert s.drift_interval_seconds == 30
    with pytest.raises(ConfigError, match="^WATCH_NAMESPACES"):
        load_operator_settings({"WATCH_NAMESPACES": "Team_A"})
    with pytest.raises(ConfigError, match="^DRIFT_INTERVAL_SECONDS"):
        load_operator_settings({"DRIFT_INTERVAL_SECONDS": "0"})


def test_ca_bundle_must_exist(tmp_path):
    with pytest.raises(ConfigError, match="^PINGONE_CA_BUNDLE"):
        load_pingone_settings({**BASE, "PINGONE_CA_BUNDLE": str(tmp_path / "missing.pem")})
    bundle = tmp_path / "ca.pem"
    bundle.write_text("x")
    assert load_pingone_settings({**BASE, "PINGONE_CA_BUNDLE": str(bundle)}).ca_bundle == str(bundle)


def test_peering_settings():
    s = load_operator_settings({})
    assert (s.peering_name, s.peering_priority, s.peering_lifetime_seconds) == (None, None, 15)
    s = load_operator_settings({"PEERING_NAME": "pingone-operator", "PEERING_PRIORITY": "-5",
                                "PEERING_LIFETIME_SECONDS": "20"})
    assert (s.peering_name, s.peering_priority, s.peering_lifetime_seconds) == ("pingone-operator", -5, 20)
    for variable, value in [("PEERING_NAME", "Not_A_Name"), ("PEERING_PRIORITY", "high"),
                            ("PEERING_LIFETIME_SECONDS", "5")]:
        with pytest.raises(ConfigError, match=f"^{variable}"):
            load_operator_settings({variable: value})


def test_default_peering_priority_favours_the_oldest_replica(monkeypatch):
    """Decreasing with the start time, to the microsecond: a replica started later never takes over
    from a running one, and two replicas do not share a priority (kopf would pause both)."""
    from pingone_operator.controller import runner

    settings = load_operator_settings({"PEERING_NAME": "p"})
    monkeypatch.setattr(runner.time, "time_ns", lambda: 1_700_000_000_000_001_000)
    first = runner.peering_priority(settings)
    monkeypatch.setattr(runner.time, "time_ns", lambda: 1_700_000_000_000_002_000)
    assert runner.peering_priority(settings) == first - 1 == -1_700_000_000_000_002
    assert runner.peering_priority(load_operator_settings({"PEERING_NAME": "p", "PEERING_PRIORITY": "7"})) == 7
