"""Drives the served Hetzner simulator with Hetzner's official Python library (hcloud).

Reads HCLOUD_ENDPOINT and HCLOUD_TOKEN; prints one line per step and `hcloud-session: ok` at
the end. Any exception (a response the library cannot parse, an unexpected error) fails it.
"""

import os
import sys

from hcloud import APIException, Client
from hcloud.firewalls import FirewallRule
from hcloud.images import Image
from hcloud.locations import Location
from hcloud.placement_groups import PlacementGroup
from hcloud.servers import ServerCreatePublicNetwork
from hcloud.server_types import ServerType

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl admin"


def step(name, value):
    print(f"{name}: {value}", flush=True)


def main():
    client = Client(
        token=os.environ["HCLOUD_TOKEN"],
        api_endpoint=os.environ["HCLOUD_ENDPOINT"],
        poll_interval=0.05,
    )
    types = client.server_types.get_all()
    step("server_types", [t.name for t in types])
    fsn1 = client.locations.get_by_name("fsn1")
    step("location", (fsn1.id, fsn1.name, fsn1.network_zone))
    image = client.images.get_by_name_and_architecture("ubuntu-24.04", "x86")
    step("image", (image.id, image.name, image.architecture))
    key = client.ssh_keys.create(name="admin-alice", public_key=KEY)
    step("ssh_key", (key.id, key.fingerprint))

    rule = FirewallRule(direction="in", protocol="tcp", port="48213",
                        source_ips=["198.51.100.0/24", "2001:db8::/32"], description="ssh")
    firewall = client.firewalls.create(name="edge", rules=[rule], labels={"managed-by": "fleet"})
    step("firewall", (firewall.firewall.id, len(firewall.firewall.rules)))

    kept = client.primary_ips.create(type="ipv4", name="web-v4", location=Location(name="fsn1"),
                                     assignee_type="server", auto_delete=False)
    step("primary_ip", (kept.primary_ip.id, kept.primary_ip.ip))
    group = client.placement_groups.create(name="web", type="spread")
    step("placement_group", group.placement_group.id)

    created = client.servers.create(
        name="web-1",
        server_type=ServerType(name="cx22"),
        image=Image(name="ubuntu-24.04"),
        ssh_keys=[key],
        firewalls=[firewall.firewall],
        location=Location(id=fsn1.id),
        placement_group=PlacementGroup(id=group.placement_group.id),
        public_net=ServerCreatePublicNetwork(ipv4=kept.primary_ip, enable_ipv6=True),
        labels={"managed-by": "fleet"},
    )
    created.action.wait_until_finished(max_retries=200)
    server = client.servers.get_by_id(created.server.id)
    net = server.public_net
    step("server", (server.id, server.status, server.location.name))
    assert server.location.name == "fsn1", server.location.name
    assert net.primary_ipv4.id == kept.primary_ip.id, (net.primary_ipv4.id, kept.primary_ip.id)
    assert net.primary_ipv6 is not None and net.primary_ipv6.id
    assert [f.firewall.id for f in net.firewalls] == [firewall.firewall.id]
    assert server.placement_group.id == group.placement_group.id

    listed = client.servers.get_all(label_selector="managed-by=fleet")
    step("servers listed", [s.name for s in listed])
    assert [s.id for s in listed] == [server.id]

    client.servers.change_protection(server, delete=True, rebuild=True).wait_until_finished(200)
    try:
        client.servers.delete(server)
        raise AssertionError("a protected server was deleted")
    except APIException as err:
        step("protected delete", err.code)
        assert err.code == "protected"
    client.servers.change_protection(server, delete=False, rebuild=False).wait_until_finished(200)

    server.change_dns_ptr(ip=net.ipv4.ip, dns_ptr="web-1.example.com").wait_until_finished(200)
    again = client.primary_ips.get_by_id(kept.primary_ip.id)
    step("rdns", again.dns_ptr)
    assert again.dns_ptr[0]["dns_ptr"] == "web-1.example.com"

    rescue = server.enable_rescue(type="linux64", ssh_keys=[key.id])
    rescue.action.wait_until_finished(200)
    step("rescue", client.servers.get_by_id(server.id).rescue_enabled)

    snapshot = server.create_image(description="forensics", type="snapshot")
    snapshot.action.wait_until_finished(200)
    image = client.images.get_by_id(snapshot.image.id)
    step("snapshot", (image.id, image.type, image.architecture))
    assert image.architecture == "x86"

    for action in client.servers.get_actions(server):
        assert action.status in ("running", "success"), action.status
    client.servers.delete(server).wait_until_finished(200)
    survivor = client.primary_ips.get_by_id(kept.primary_ip.id)
    step("primary_ip after delete", (survivor.id, survivor.assignee_id))
    assert survivor.assignee_id is None
    print("hcloud-session: ok")


if __name__ == "__main__":
    try:
        main()
    except Exception as err:  # noqa: BLE001 - the test wants any failure as exit status 1
        print(f"hcloud-session: FAILED: {type(err).__name__}: {err}", file=sys.stderr)
        raise
