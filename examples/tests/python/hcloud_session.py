"""Drives the served Hetzner simulator with Hetzner's official Python library (hcloud).

Reads HCLOUD_ENDPOINT and HCLOUD_TOKEN, and CERT_FILE and KEY_FILE (a PEM certificate and its
key to upload); prints one line per checked step, then `hcloud-python: N passed, 0 failed` and
`hcloud-session: ok`. Any exception (a response the library cannot parse, an unexpected error,
a failed check) stops it with `hcloud-python: N passed, 1 failed` and exit status 1.
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


PASSED = [0]


def step(name, value):
    PASSED[0] += 1
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
    shapes(client, server, fsn1, key, firewall.firewall)

    for action in client.servers.get_actions(server):
        assert action.status in ("running", "success"), action.status
    client.servers.delete(server).wait_until_finished(200)
    survivor = client.primary_ips.get_by_id(kept.primary_ip.id)
    step("primary_ip after delete", (survivor.id, survivor.assignee_id))
    assert survivor.assignee_id is None
    certificates(client)
    print(f"hcloud-python: {PASSED[0]} passed, 0 failed")
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


def shapes(client, server, fsn1, key, firewall):
    """Integers where the API sends integers, passwords, paging, resizes, label selectors."""
    cx22 = client.server_types.get_by_name("cx22")
    step("server_type sizes", (cx22.cores, cx22.memory, cx22.disk))
    assert isinstance(cx22.cores, int) and isinstance(cx22.disk, int), (cx22.cores, cx22.disk)
    got = client.servers.get_by_id(server.id)
    step("primary_disk_size", got.primary_disk_size)
    assert isinstance(got.primary_disk_size, int) and got.primary_disk_size == cx22.disk

    rescue = server.enable_rescue(type="linux64", ssh_keys=[key.id])
    step("rescue password", len(rescue.root_password or ""))
    assert rescue.root_password and len(rescue.root_password) >= 12
    rescue.action.wait_until_finished(200)
    server.disable_rescue().wait_until_finished(200)
    reset = server.reset_password()
    assert reset.root_password and reset.root_password != rescue.root_password
    step("reset password", len(reset.root_password))

    server.power_off().wait_until_finished(200)
    server.change_type(ServerType(name="cx32"), upgrade_disk=True).wait_until_finished(200)
    bigger = client.servers.get_by_id(server.id)
    step("change_type", (bigger.server_type.name, bigger.primary_disk_size))
    assert bigger.primary_disk_size == 80
    server.power_on().wait_until_finished(200)
    rebuilt = server.rebuild(Image(name="ubuntu-24.04"))
    rebuilt.action.wait_until_finished(200)
    step("rebuild", rebuilt.action.status)

    volume = client.volumes.create(size=10, name="grow", location=fsn1)
    volume.action.wait_until_finished(200)
    client.volumes.resize(volume.volume, size=20).wait_until_finished(200)
    grown = client.volumes.get_by_id(volume.volume.id)
    step("volume resize", grown.size)
    assert grown.size == 20 and isinstance(grown.size, int)
    client.volumes.delete(grown)

    lone = client.floating_ips.create(type="ipv6", home_location=fsn1, name="lone")
    step("floating ip without server", (lone.floating_ip.id, lone.action))
    assert lone.action is None
    client.floating_ips.delete(lone.floating_ip)

    for i in range(30):
        client.ssh_keys.create(name=f"bulk-{i:02}", public_key=bulk_key(i))
    paged = client.ssh_keys.get_list(page=2, per_page=10)
    step("ssh_keys page 2", (len(paged.ssh_keys), paged.meta.pagination.total_entries))
    assert len(paged.ssh_keys) == 10 and paged.meta.pagination.next_page == 3
    everything = client.ssh_keys.get_all()
    assert len(everything) == 31, len(everything)
    for k in everything:
        if k.name.startswith("bulk-"):
            k.delete()
    step("ssh_keys after cleanup", len(client.ssh_keys.get_all()))

    rules = [FirewallRule(direction="in", protocol="icmp", source_ips=["0.0.0.0/0", "::/0"]),
             FirewallRule(direction="in", protocol="tcp", port="443", source_ips=["0.0.0.0/0"])]
    for action in client.firewalls.set_rules(firewall, rules):
        action.wait_until_finished(200)
    step("firewall rules", len(client.firewalls.get_by_id(firewall.id).rules))


def bulk_key(i):
    """A distinct, well-formed ed25519 public key for bulk listing."""
    import base64
    blob = b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + bytes([i]) * 32
    return "ssh-ed25519 " + base64.b64encode(blob).decode() + f" bulk-{i}"


def certificates(client):
    """An uploaded certificate reports what its PEM holds; a broken PEM is refused."""
    with open(os.environ["CERT_FILE"]) as cert, open(os.environ["KEY_FILE"]) as key:
        pem, private = cert.read(), key.read()
    uploaded = client.certificates.create(name="site", certificate=pem, private_key=private)
    got = client.certificates.get_by_id(uploaded.id)
    step("certificate", (got.domain_names, got.fingerprint[:8], got.not_valid_after))
    assert got.domain_names == ["localhost"], got.domain_names
    assert len(got.fingerprint.split(":")) == 32
    assert got.not_valid_before < got.not_valid_after
    try:
        client.certificates.create(name="broken", certificate="-----BEGIN CERTIFICATE-----\nAAAA\n"
                                   "-----END CERTIFICATE-----\n", private_key=private)
        raise AssertionError("a broken certificate was accepted")
    except APIException as err:
        step("broken certificate", (err.code, err.details))
        assert err.code == "invalid_input"
    client.certificates.delete(got)


if __name__ == "__main__":
    try:
        main()
    except Exception as err:  # noqa: BLE001 - the test wants any failure as exit status 1
        print(f"hcloud-python: {PASSED[0]} passed, 1 failed")
        print(f"hcloud-session: FAILED: {type(err).__name__}: {err}", file=sys.stderr)
        raise
