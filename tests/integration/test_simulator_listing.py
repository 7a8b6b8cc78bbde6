"""The applications list: cursor paging (`limit`, `_links.next`) and the three filter modes."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest


async def follow(api, first) -> list[dict]:
    """Every page, following `_links.next.href` as a client must (pingone-pitfalls.md §5)."""
    pages = [first]
    while "next" in pages[-1]["_links"]:
        assert len(pages) < 200, "the next links never end"
        response = await api.http.get(pages[-1]["_links"]["next"]["href"], headers=api.headers)
        assert response.status_code == 200, response.text
        pages.append(response.json())
    return pages


def ids(page: dict) -> list[str]:
    return [a["id"] for a in page["_embedded"]["applications"]]


async def make_workers(api, worker_body, n: int) -> list[str]:
    return [(await api.create_ok(worker_body(name=f"w{i}")))["id"] for i in range(n)]


async def test_pages_of_the_configured_size(sim_factory, connect, worker_body):
    sim = await sim_factory(page_size=3)
    api = connect(sim)
    created = [sim.state.worker.client_id] + await make_workers(api, worker_body, 7)
    first = (await api.list()).json()
    pages = await follow(api, first)
    assert [len(ids(p)) for p in pages] == [3, 3, 2]
    assert [i for p in pages for i in ids(p)] == created  # creation order, nothing twice
    for p in pages:
        assert p["count"] == 8 and p["size"] == len(ids(p))
    href = first["_links"]["next"]["href"]
    assert href.startswith(f"{sim.api_url}/environments/{sim.environment_id}/applications?")
    assert "cursor" in parse_qs(urlsplit(href).query)
    assert "next" not in pages[-1]["_links"]


async def test_default_page_size_is_100(api, sim, worker_body):
    assert sim.state.page_size == 100
    await make_workers(api, worker_body, 100)  # 101 with the seeded worker
    first = (await api.list()).json()
    assert len(ids(first)) == 100 and first["count"] == 101
    assert [len(ids(p)) for p in await follow(api, first)] == [100, 1]


async def test_limit_is_honoured_and_kept_in_the_next_link(api, worker_body):
    await make_workers(api, worker_body, 4)
    first = (await api.list(limit="2")).json()
    assert len(ids(first)) == 2 and first["size"] == 2 and first["count"] == 5
    assert parse_qs(urlsplit(first["_links"]["next"]["href"]).query)["limit"] == ["2"]
    assert [len(ids(p)) for p in await follow(api, first)] == [2, 2, 1]
    everything = (await api.list(limit="50")).json()
    assert len(ids(everything)) == 5 and "next" not in everything["_links"]


async def test_the_filter_is_kept_in_the_next_link(api, sim, worker_body, web_app_body):
    workers = [sim.state.worker.client_id] + await make_workers(api, worker_body, 3)
    await api.create_ok(web_app_body(name="web"))
    first = (await api.list(filter='type eq "WORKER"', limit="1")).json()
    assert parse_qs(urlsplit(first["_links"]["next"]["href"]).query)["filter"] == ['type eq "WORKER"']
    pages = await follow(api, first)
    assert [i for p in pages for i in ids(p)] == workers
    assert all(p["count"] == 4 for p in pages)


async def test_deleting_between_pages_skips_nobody(sim_factory, connect, worker_body):
    sim = await sim_factory(page_size=2)
    api = connect(sim)
    created = [sim.state.worker.client_id] + await make_workers(api, worker_body, 4)
    first = (await api.list()).json()
    assert ids(first) == created[:2]
    await api.delete(created[1])  # the cursor's own item
    rest = await follow(api, first)
    assert [i for p in rest[1:] for i in ids(p)] == created[2:]


@pytest.mark.parametrize("params,target", [({"limit": "0"}, "limit"), ({"limit": "x"}, "limit"),
                                           ({"cursor": "not-a-cursor"}, "cursor")])
async def test_bad_paging_parameters_are_400(api, params, target):
    response = await api.list(**params)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "INVALID_REQUEST"
    assert body["details"][0]["target"] == target


async def test_page_size_set_at_runtime(http, api, sim, worker_body):
    await make_workers(api, worker_body, 2)
    assert len(ids((await api.list()).json())) == 3
    settings = await http.put("/_simulator/settings", json={"pageSize": 2})
    assert settings.status_code == 200 and settings.json()["pageSize"] == 2
    assert (await http.get("/_simulator/settings")).json()["pageSize"] == 2
    assert [len(ids(p)) for p in await follow(api, (await api.list()).json())] == [2, 1]
    sim.state.set_page_size(1)
    assert [len(ids(p)) for p in await follow(api, (await api.list()).json())] == [1, 1, 1]
    for bad in (0, -1, "2", None, True):
        assert (await http.put("/_simulator/settings", json={"pageSize": bad})).status_code == 400, bad
    with pytest.raises(ValueError):
        sim.state.set_page_size(0)
    assert sim.state.page_size == 1


async def test_admin_list_is_not_paged(sim_factory, connect, worker_body):
    sim = await sim_factory(page_size=1)
    await make_workers(connect(sim), worker_body, 2)
    async with httpx.AsyncClient(base_url=sim.base_url) as client:
        listed = (await client.get(f"/_simulator/environments/{sim.environment_id}/applications")).json()
    assert len(listed["applications"]) == 3


# -- filter modes ----------------------------------------------------------------------------

async def test_honour_mode_filters(api, sim, web_app_body):
    assert sim.state.filter_mode == "honour"
    web = await api.create_ok(web_app_body(name="alpha"))
    only = (await api.list(filter='name eq "alpha"')).json()
    assert ids(only) == [web["id"]] and only["count"] == 1


async def test_refuse_mode_rejects_every_filter(sim_factory, connect, web_app_body):
    api = connect(await sim_factory(filter_mode="refuse"))
    await api.create_ok(web_app_body(name="alpha"))
    for query in ('name eq "alpha"', 'type eq "WORKER"', "name co alpha"):
        response = await api.list(filter=query)
        assert response.status_code == 400, query
        body = response.json()
        assert body["code"] == "INVALID_REQUEST"
        assert body["details"][0]["code"] == "INVALID_FILTER"
    assert (await api.list()).status_code == 200  # no filter, no problem


async def test_ignore_mode_returns_the_full_paged_list(sim_factory, connect, web_app_body):
    sim = await sim_factory(filter_mode="ignore", page_size=2)
    api = connect(sim)
    web = await api.create_ok(web_app_body(name="alpha"))
    other = await api.create_ok(web_app_body(name="beta"))
    first = (await api.list(filter='name eq "alpha"')).json()
    assert first["count"] == 3
    pages = await follow(api, first)
    assert [i for p in pages for i in ids(p)] == [sim.state.worker.client_id, web["id"], other["id"]]
    assert (await api.list(filter="not even a filter")).status_code == 200


async def test_filter_mode_set_at_runtime(http, api, sim, web_app_body):
    await api.create_ok(web_app_body(name="alpha"))
    response = await http.put("/_simulator/settings", json={"filterMode": "ignore"})
    assert response.status_code == 200 and response.json()["filterMode"] == "ignore"
    assert (await http.get("/_simulator/settings")).json()["filterMode"] == "ignore"
    assert len(ids((await api.list(filter='name eq "alpha"')).json())) == 2
    await http.put("/_simulator/settings", json={"filterMode": "refuse"})
    assert (await api.list(filter='name eq "alpha"')).status_code == 400
    sim.state.set_filter_mode("honour")
    assert len(ids((await api.list(filter='name eq "alpha"')).json())) == 1
    assert (await http.put("/_simulator/settings", json={"filterMode": "sometimes"})).status_code == 400
    with pytest.raises(ValueError):
        sim.state.set_filter_mode("sometimes")
    assert sim.state.filter_mode == "honour"


async def test_bad_config_is_refused(sim_factory):
    with pytest.raises(ValueError):
        await sim_factory(filter_mode="maybe")
    with pytest.raises(ValueError):
        await sim_factory(page_size=0)
