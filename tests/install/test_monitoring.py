"""The chart's optional alerts (PrometheusRule) and Grafana dashboard.

The rules are checked and unit-tested by a real promtool (testbed/build.sh promtool); every query,
of the rules and of the dashboard, may only name metrics the operator exports (metrics.py).
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.install.helpers import CHART, NAMESPACE, find, kinds

RULES_FILE = CHART / "files" / "prometheus-rules.yaml"
DASHBOARD_FILE = CHART / "files" / "grafana-dashboard.json"
ALERTS = ["PingOneResourceNotReady", "PingOnePreviousSecretExpiring", "PingOneRateLimited", "PingOneDeletionAbandoned"]
# Grafana's own variables, replaced by what Grafana would put there before PromQL sees them.
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__range": "6h"}


def exported_metrics() -> dict[str, set[str]]:
    """{family: the series names Prometheus sees} for every metric in metrics.py."""
    from pingone_operator import metrics

    suffixes = {"counter": ["_total"], "gauge": [""], "histogram": ["_bucket", "_sum", "_count"]}
    families = {m.name: {m.name + s for s in suffixes[m.type]} for m in metrics.REGISTRY.collect()}
    assert len(families) >= 12, families
    return families


def metric_names(expr: str) -> set[str]:
    return set(re.findall(r"\bpingone_operator_[a-z0-9_]+", expr))


def rules() -> list[dict[str, Any]]:
    return [r for g in yaml.safe_load(RULES_FILE.read_text())["groups"] for r in g["rules"]]


def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD_FILE.read_text())


def dashboard_exprs() -> list[str]:
    return [t["expr"] for p in dashboard()["panels"] for t in p.get("targets", [])]


def promtool(promtool_bin: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(promtool_bin), *map(str, args)], capture_output=True, text=True, timeout=120)


# ---- rendering ------------------------------------------------------------------------------


def test_off_by_default(render):
    assert not {"PrometheusRule", "ConfigMap"} & set(kinds(render(files=["metrics.yaml"])))


def test_prometheus_rule_is_the_rules_file(render):
    objects = render(files=["monitoring.yaml"])
    rule = find(objects, "PrometheusRule")
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    assert rule["metadata"]["namespace"] == "monitoring"
    assert rule["metadata"]["labels"]["release"] == "prometheus"
    assert rule["spec"] == yaml.safe_load(RULES_FILE.read_text())
    assert [r["alert"] for r in rules()] == ALERTS


def test_dashboard_configmap_for_the_sidecar(render):
    objects = render(files=["monitoring.yaml"])
    config_map = find(objects, "ConfigMap", "pingone-operator-dashboard")
    assert config_map["metadata"]["namespace"] == "grafana"
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert config_map["metadata"]["labels"]["team"] == "platform"
    assert config_map["metadata"]["annotations"] == {"grafana_folder": "PingOne"}
    assert list(config_map["data"]) == ["pingone-operator.json"]
    assert json.loads(config_map["data"]["pingone-operator.json"]) == dashboard()
    # Default namespace: the release's.
    objects = render({"metrics": {"enabled": True, "grafanaDashboard": {"enabled": True}}})
    assert find(objects, "ConfigMap")["metadata"]["namespace"] == NAMESPACE


@pytest.mark.parametrize("which", ["prometheusRule", "grafanaDashboard"])
def test_needs_metrics(helm, which):
    result = helm("template", "x", CHART, "--set", f"metrics.{which}.enabled=true")
    assert result.returncode != 0
    assert f"metrics.{which}.enabled needs metrics.enabled=true" in result.stderr


def test_lint_clean_with_monitoring_on_and_off(helm):
    for args in ([], ["--set", "metrics.enabled=true", "--set", "metrics.prometheusRule.enabled=true",
                      "--set", "metrics.grafanaDashboard.enabled=true"]):
        result = helm("lint", "--strict", CHART, *args)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "[WARNING]" not in result.stdout and "[ERROR]" not in result.stdout, result.stdout


# ---- the rules under promtool ---------------------------------------------------------------


def test_promtool_checks_the_rendered_rules(render, promtool_bin, tmp_path):
    spec = find(render(files=["monitoring.yaml"]), "PrometheusRule")["spec"]
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(spec))
    result = promtool(promtool_bin, "check", "rules", path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(ALERTS)} rules found" in result.stdout, result.stdout


@pytest.mark.parametrize(("field", "bad"), [("expr", "rate(pingone_operator_rate_limit_waits_total[5m] > 0"),
                                            ("for", "15 minutes")])
def test_promtool_check_has_teeth(promtool_bin, tmp_path, field, bad):
    spec = yaml.safe_load(RULES_FILE.read_text())
    spec["groups"][0]["rules"][0][field] = bad
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(spec))
    result = promtool(promtool_bin, "check", "rules", path)
    assert result.returncode != 0, result.stdout


def _alert(name: str, labels: dict[str, str], summary: str) -> dict[str, Any]:
    rule = next(r for r in rules() if r["alert"] == name)
    expanded = {k: re.sub(r"\{\{ \$labels\.(\w+) \}\}", lambda m: labels[m[1]], v)
                for k, v in rule["annotations"].items()}
    assert expanded["summary"] == summary
    return {"exp_labels": {**labels, **rule["labels"]}, "exp_annotations": expanded}


def alert_tests() -> list[dict[str, Any]]:
    """promtool unit tests: each alert fires when it should, and not before or after."""
    app = {"namespace": "team-a", "name": "web"}
    return [
        {"interval": "1m",
         "input_series": [
             {"series": 'pingone_operator_resource_ready{namespace="team-a",name="web"}', "values": "0x30"},
             {"series": 'pingone_operator_resource_ready{namespace="team-a",name="ok"}', "values": "1x30"}],
         "alert_rule_test": [
             {"eval_time": "14m", "alertname": "PingOneResourceNotReady", "exp_alerts": []},
             {"eval_time": "16m", "alertname": "PingOneResourceNotReady", "exp_alerts": [_alert(
                 "PingOneResourceNotReady", app, "team-a/web has not been Ready for 15 minutes")]}]},
        # The previous secret expires at t=7200 s (the test's clock starts at 0).
        {"interval": "1m",
         "input_series": [{"series": 'pingone_operator_previous_secret_expiry_timestamp_seconds'
                                     '{namespace="team-a",name="web"}', "values": "7200x180"}],
         "alert_rule_test": [
             {"eval_time": "50m", "alertname": "PingOnePreviousSecretExpiring", "exp_alerts": []},
             {"eval_time": "90m", "alertname": "PingOnePreviousSecretExpiring", "exp_alerts": [_alert(
                 "PingOnePreviousSecretExpiring", app,
                 "The previous client secret of team-a/web stops working within an hour")]},
             {"eval_time": "121m", "alertname": "PingOnePreviousSecretExpiring", "exp_alerts": []}]},
        # One 429 a minute for 30 minutes, then none.
        {"interval": "1m",
         "input_series": [{"series": "pingone_operator_rate_limit_waits_total", "values": "0+1x30 30x60"}],
         "alert_rule_test": [
             {"eval_time": "10m", "alertname": "PingOneRateLimited", "exp_alerts": []},
             {"eval_time": "25m", "alertname": "PingOneRateLimited", "exp_alerts": [_alert(
                 "PingOneRateLimited", {}, "PingOne has been answering 429 Too Many Requests for 15 minutes")]},
             {"eval_time": "50m", "alertname": "PingOneRateLimited", "exp_alerts": []}]},
        # One abandoned deletion at minute 10.
        {"interval": "1m",
         "input_series": [{"series": "pingone_operator_deletions_abandoned_total", "values": "0x9 1x120"}],
         "alert_rule_test": [
             {"eval_time": "5m", "alertname": "PingOneDeletionAbandoned", "exp_alerts": []},
             {"eval_time": "15m", "alertname": "PingOneDeletionAbandoned", "exp_alerts": [_alert(
                 "PingOneDeletionAbandoned", {}, "A deletion gave up on PingOne and left an application behind")]},
             {"eval_time": "75m", "alertname": "PingOneDeletionAbandoned", "exp_alerts": []}]},
    ]


def _run_alert_tests(promtool_bin: Path, tmp_path: Path, spec: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(spec))
    (tmp_path / "tests.yaml").write_text(yaml.safe_dump({"rule_files": ["rules.yaml"], "tests": alert_tests()}))
    return promtool(promtool_bin, "test", "rules", tmp_path / "tests.yaml")


def test_promtool_unit_tests_every_alert(render, promtool_bin, tmp_path):
    spec = find(render(files=["monitoring.yaml"]), "PrometheusRule")["spec"]
    result = _run_alert_tests(promtool_bin, tmp_path, spec)
    assert result.returncode == 0, result.stdout + result.stderr
    assert {t["alert_rule_test"][0]["alertname"] for t in alert_tests()} == set(ALERTS)


def test_promtool_unit_tests_have_teeth(promtool_bin, tmp_path):
    spec = yaml.safe_load(RULES_FILE.read_text())
    spec["groups"][0]["rules"][0]["for"] = "5m"  # NotReady would fire at 14m
    result = _run_alert_tests(promtool_bin, tmp_path, spec)
    assert result.returncode != 0 and "PingOneResourceNotReady" in result.stdout + result.stderr


# ---- queries against the exported metrics ---------------------------------------------------


def test_rules_use_exported_metrics():
    exported = set().union(*exported_metrics().values())
    for rule in rules():
        names = metric_names(rule["expr"])
        assert names and names <= exported, (rule["alert"], names - exported)


def test_dashboard_uses_exported_metrics_and_shows_every_one():
    families = exported_metrics()
    exported = set().union(*families.values())
    exprs = dashboard_exprs()
    assert exprs
    for expr in exprs:
        names = metric_names(expr)
        assert names and names <= exported, (expr, names - exported)
    used = set().union(*map(metric_names, exprs))
    missing = [family for family, series in families.items() if not series & used]
    assert not missing, f"metrics the dashboard does not show: {missing}"


def test_dashboard_is_a_grafana_dashboard():
    board = dashboard()
    assert board["uid"] == "pingone-operator" and board["title"]
    (variable,) = board["templating"]["list"]
    assert (variable["name"], variable["type"], variable["query"]) == ("datasource", "datasource", "prometheus")
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))
    for panel in board["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
            assert panel["targets"], panel["title"]


def test_dashboard_queries_parse(promtool_bin, tmp_path):
    """promtool has no query checker without a server: each query becomes a recording rule."""
    exprs = dashboard_exprs()
    for variable, value in GRAFANA_VARIABLES.items():
        exprs = [e.replace(variable, value) for e in exprs]
    assert not any("$" in e for e in exprs), [e for e in exprs if "$" in e]
    path = tmp_path / "dashboard-queries.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:query_{i}", "expr": e} for i, e in enumerate(exprs)]}]}))
    result = promtool(promtool_bin, "check", "rules", path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(exprs)} rules found" in result.stdout, result.stdout
