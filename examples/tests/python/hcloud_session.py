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
from hcloud.load_balancer_types import LoadBalancerType
from hcloud.load_balancers import LoadBalancerService, LoadBalancerTarget
from hcloud.networks import NetworkSubnet
from hcloud.zones import ZoneRecord

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

    others(client, server, fsn1)

    for action in client.servers.get_actions(server):
        assert action.status in ("running", "success"), action.status
    client.servers.delete(server).wait_until_finished(200)
    survivor = client.primary_ips.get_by_id(kept.primary_ip.id)
    step("primary_ip after delete", (survivor.id, survivor.assignee_id))
    assert survivor.assignee_id is None
    print("hcloud-session: ok")


def others(client, server, fsn1):
    """Volumes, networks, floating IPs, a load balancer and a DNS zone, through the library."""
    volume = client.volumes.create(size=10, name="data", location=fsn1, format="ext4")
    volume.action.wait_until_finished(200)
    client.volumes.attach(volume.volume, server, automount=False).wait_until_finished(200)
    attached = client.volumes.get_by_id(volume.volume.id)
    step("volume", (attached.id, attached.server.id, attached.linux_device))
    assert attached.server.id == server.id
    client.volumes.detach(attached).wait_until_finished(200)

    network = client.networks.create(name="backend", ip_range="10.0.0.0/16", subnets=[
        NetworkSubnet(type="cloud", ip_range="10.0.1.0/24", network_zone="eu-central")])
    client.servers.attach_to_network(server, network, ip="10.0.1.5").wait_until_finished(200)
    net = client.networks.get_by_id(network.id)
    step("network", (net.id, [s.ip_range for s in net.subnets], [s.id for s in net.servers]))
    assert [s.id for s in net.servers] == [server.id]
    client.servers.detach_from_network(server, network).wait_until_finished(200)

    vip = client.floating_ips.create(type="ipv4", home_location=fsn1, name="vip")
    client.floating_ips.assign(vip.floating_ip, server).wait_until_finished(200)
    step("floating_ip", client.floating_ips.get_by_id(vip.floating_ip.id).server.id)
    client.floating_ips.unassign(vip.floating_ip).wait_until_finished(200)
    client.floating_ips.delete(vip.floating_ip)

    lb = client.load_balancers.create(
        name="lb", load_balancer_type=LoadBalancerType(name="lb11"), location=fsn1,
        services=[LoadBalancerService(protocol="tcp", listen_port=443, destination_port=8443,
                                      proxyprotocol=False)],
        targets=[LoadBalancerTarget(type="server", server=server, use_private_ip=False)])
    lb.action.wait_until_finished(200)
    got = client.load_balancers.get_by_id(lb.load_balancer.id)
    step("load_balancer", (got.id, [s.listen_port for s in got.services],
                           [t.server.id for t in got.targets]))
    assert [t.server.id for t in got.targets] == [server.id]
    client.load_balancers.delete(got).action.wait_until_finished(200)

    zone = client.zones.create(name="example.com", mode="primary")
    zone.action.wait_until_finished(200)
    rrset = client.zones.create_rrset(zone.zone, name="www", type="A", ttl=300,
                                      records=[ZoneRecord(value="198.51.100.7")])
    rrset.action.wait_until_finished(200)
    client.zones.add_rrset_records(rrset.rrset, records=[ZoneRecord(value="198.51.100.8")]
                                   ).wait_until_finished(200)
    got = client.zones.get_rrset(zone.zone, name="www", type="A")
    step("rrset", [r.value for r in got.records])
    assert [r.value for r in got.records] == ["198.51.100.7", "198.51.100.8"]
    exported = client.zones.export_zonefile(zone.zone)
    assert "198.51.100.8" in exported.zonefile
    client.zones.delete(zone.zone).action.wait_until_finished(200)
    client.volumes.delete(attached)
    client.networks.delete(network)


if __name__ == "__main__":
    try:
        main()
    except Exception as err:  # noqa: BLE001 - the test wants any failure as exit status 1
        print(f"hcloud-session: FAILED: {type(err).__name__}: {err}", file=sys.stderr)
        raise
