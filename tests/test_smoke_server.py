import httpx

from planner_bridge.serving import blocking


def test_planner_server_starts_on_an_ephemeral_port(planner, shop):
    response = httpx.get(planner.url + "/nope")
    assert response.status_code == 404
    assert blocking(planner.core.store.get_entity(shop.entity.id)).name == "Demo Store"
