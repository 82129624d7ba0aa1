"""Drives the served Cloudflare simulator with Cloudflare's official Python SDK (`cloudflare`).

Reads CLOUDFLARE_BASE_URL, CLOUDFLARE_API_TOKEN and CLOUDFLARE_ZONE (a zone name the simulator
serves, on a plan with managed rulesets). Runs a zone control-plane flow: token verification,
zones, settings, DNS CRUD with filters, paging, export and batch, cache purge, bot management,
rulesets (custom WAF, rate limiting, configuration, cache, managed execute, single rules,
versions), lists and their items, Origin CA certificates, Authenticated Origin Pulls and IP
ranges; and checks that what Cloudflare refuses is refused.
Each check prints `ok NAME` or `FAIL NAME: why`; the last line is
`cloudflare-python: N passed, M failed`, and the exit status is non-zero when anything failed.
"""

import os
import sys
import time

import cloudflare
from cloudflare import Cloudflare

CSR = """-----BEGIN CERTIFICATE REQUEST-----
MIIBszCCAVkCAQAwIDEeMBwGA1UEAwwVd3d3LmV4YW1wbGUuY29tMFkwEwYHKoZI
-----END CERTIFICATE REQUEST-----
"""
MANAGED = "efb7b8c949ac4650a09736fc376e9aee"

passed = 0
failed = 0


def check(name, fn):
    """Run one step; an exception or a false assertion fails it. Returns the step's value."""
    global passed, failed
    try:
        value = fn()
    except Exception as e:  # noqa: BLE001 - any failure of the SDK is a failed step
        failed += 1
        print(f"FAIL {name}: {type(e).__name__}: {e}", flush=True)
        return None
    passed += 1
    print(f"ok {name}", flush=True)
    return value


def refused(name, fn, status, code, why=""):
    """The call must fail with HTTP `status`, Cloudflare error `code` and a message holding `why`."""

    def run():
        try:
            fn()
        except cloudflare.APIStatusError as e:
            assert e.status_code == status, f"status {e.status_code}, wanted {status}: {e}"
            assert str(code) in str(e.body) or str(code) in str(e), f"no code {code} in {e.body}"
            assert why in str(e.body), f"no {why!r} in {e.body}"
            return
        raise AssertionError("the call was accepted")

    check(name, run)


def expect(cond, message):
    if not cond:
        raise AssertionError(message)


def main():
    base_url = os.environ["CLOUDFLARE_BASE_URL"]
    token = os.environ["CLOUDFLARE_API_TOKEN"]
    zone_name = os.environ["CLOUDFLARE_ZONE"]
    cf = Cloudflare(api_token=token, base_url=base_url, max_retries=0)

    # token and zones
    verified = check("token verify", lambda: cf.user.tokens.verify())
    check("token is active", lambda: expect(verified.status == "active", verified))
    zones = check("zones list (auto-paging)", lambda: list(cf.zones.list(name=zone_name)))
    zone = zones[0]
    z = zone.id
    check("zone get", lambda: expect(cf.zones.get(zone_id=z).name == zone_name, "zone name"))
    account = zone.account.id
    check("zone has an account", lambda: expect(account, zone))

    # zone settings
    for setting_id, value in [
        ("http3", "on"),
        ("0rtt", "on"),
        ("opportunistic_encryption", "on"),
        ("ssl", "strict"),
        ("min_tls_version", "1.2"),
        ("always_use_https", "on"),
        ("security_level", "high"),
        ("browser_check", "on"),
    ]:
        def edit(setting_id=setting_id, value=value):
            got = cf.zones.settings.edit(setting_id=setting_id, zone_id=z, value=value)
            expect(got.value == value, got)
            again = cf.zones.settings.get(setting_id=setting_id, zone_id=z)
            expect(again.value == value, again)

        check(f"setting {setting_id}", edit)
    refused("setting http3 refuses a bad value",
            lambda: cf.zones.settings.edit(setting_id="http3", zone_id=z, value="sometimes"), 400, 1007)

    # DNS
    made = []
    for name, rtype, content in [
        ("www", "A", "192.0.2.10"),
        ("www", "AAAA", "2001:db8::10"),
        ("api", "A", "192.0.2.11"),
        ("blog", "CNAME", f"www.{zone_name}"),
        ("@", "TXT", "v=spf1 -all"),
    ]:
        fqdn = zone_name if name == "@" else f"{name}.{zone_name}"
        rec = check(f"dns create {rtype} {fqdn}",
                    lambda fqdn=fqdn, rtype=rtype, content=content: cf.dns.records.create(
                        zone_id=z, name=fqdn, type=rtype, content=content, ttl=1,
                        proxied=rtype in ("A", "AAAA", "CNAME"), comment="fleet"))
        if rec is not None:
            made.append(rec)
    check("dns create MX with priority", lambda: made.append(cf.dns.records.create(
        zone_id=z, name=zone_name, type="MX", content=f"mail.{zone_name}", priority=10, ttl=3600)))
    listed = check("dns list pages of 2 (auto-paging ends)",
                   lambda: list(cf.dns.records.list(zone_id=z, per_page=2)))
    check("dns list sees every record", lambda: expect(len(listed) == len(made), (len(listed), len(made))))
    check("dns records carry meta and settings",
          lambda: expect(all(r.meta is not None and r.settings is not None for r in listed), listed[0]))
    check("dns list by type", lambda: expect(
        {r.type for r in cf.dns.records.list(zone_id=z, type="A")} == {"A"}, "types"))
    first = made[0]
    check("dns get", lambda: expect(cf.dns.records.get(dns_record_id=first.id, zone_id=z).content == "192.0.2.10", "content"))
    check("dns update (PUT)", lambda: expect(cf.dns.records.update(
        dns_record_id=first.id, zone_id=z, name=f"www.{zone_name}", type="A", content="192.0.2.20",
        ttl=1, proxied=True).content == "192.0.2.20", "content"))
    check("dns edit (PATCH)", lambda: expect(cf.dns.records.edit(
        dns_record_id=first.id, zone_id=z, name=f"www.{zone_name}", type="A",
        comment="edited").comment == "edited", "comment"))
    refused("dns refuses an identical record",
            lambda: cf.dns.records.create(zone_id=z, name=f"api.{zone_name}", type="A",
                                          content="192.0.2.11", ttl=1, proxied=True), 400, 81057)
    check("dns list by exact name", lambda: expect(
        {r.type for r in cf.dns.records.list(zone_id=z, name={"exact": f"www.{zone_name}"})} == {"A", "AAAA"},
        "types"))
    check("dns list by comment", lambda: expect(
        len(list(cf.dns.records.list(zone_id=z, comment={"contains": "edit"}))) == 1, "comment"))
    check("dns export (BIND zone file)", lambda: expect(
        f"www.{zone_name}." in cf.dns.records.export(zone_id=z), "zone file"))
    check("dns batch", lambda: expect(len(cf.dns.records.batch(zone_id=z, posts=[
        {"name": f"batch.{zone_name}", "type": "A", "content": "192.0.2.50", "ttl": 1}]).posts) == 1, "posts"))
    check("dns delete", lambda: cf.dns.records.delete(dns_record_id=made[2].id, zone_id=z))
    refused("dns get after delete", lambda: cf.dns.records.get(dns_record_id=made[2].id, zone_id=z), 404, 81044)

    # lists (account level)
    admin = check("list create ip", lambda: cf.rules.lists.create(account_id=account, kind="ip", name="admin_ips",
                                                                   description="office"))
    op = check("list items create", lambda: cf.rules.lists.items.create(
        list_id=admin.id, account_id=account,
        body=[{"ip": "198.51.100.0/24", "comment": "office"}, {"ip": "203.0.113.7"}]))

    def poll():
        for _ in range(20):
            status = cf.rules.lists.bulk_operations.get(operation_id=op.operation_id, account_id=account)
            if status.status == "completed":
                return
            expect(status.status in ("pending", "running"), status)
            time.sleep(0.01)
        raise AssertionError("operation never completed")

    check("list bulk operation completes", poll)
    check("list update description", lambda: cf.rules.lists.update(
        list_id=admin.id, account_id=account, description="office and VPN"))
    check("list get", lambda: expect(
        cf.rules.lists.get(list_id=admin.id, account_id=account).description == "office and VPN", "description"))

    def one_item():
        first_item = list(cf.rules.lists.items.list(list_id=admin.id, account_id=account))[0]
        got = cf.rules.lists.items.get(item_id=first_item["id"], list_id=admin.id, account_id=account)
        expect(got.ip == first_item["ip"], got)

    check("list item get", one_item)
    # SDK 4.3 types list and item listings as plain JSON objects (dicts), not models.
    check("list items list", lambda: expect(
        sorted(i["ip"] for i in cf.rules.lists.items.list(list_id=admin.id, account_id=account)) ==
        ["198.51.100.0/24", "203.0.113.7"], "items"))
    for kind, item in [
        ("hostname", {"hostname": {"url_hostname": f"*.{zone_name}"}}),
        ("asn", {"asn": 13335}),
        ("redirect", {"redirect": {"source_url": f"{zone_name}/old", "target_url": f"https://{zone_name}/new",
                                   "status_code": 301}}),
    ]:
        def kind_flow(kind=kind, item=item):
            lst = cf.rules.lists.create(account_id=account, kind=kind, name=f"{kind}_list")
            cf.rules.lists.items.create(list_id=lst.id, account_id=account, body=[item])
            items = list(cf.rules.lists.items.list(list_id=lst.id, account_id=account))
            expect(len(items) == 1, items)
            cf.rules.lists.delete(list_id=lst.id, account_id=account)

        check(f"list of kind {kind} with an item", kind_flow)
    refused("list refuses an item of another kind", lambda: cf.rules.lists.items.create(
        list_id=admin.id, account_id=account, body=[{"asn": 13335}]), 400, 10021)
    check("lists list", lambda: expect([lst["name"] for lst in cf.rules.lists.list(account_id=account)] == ["admin_ips"], "names"))

    # rulesets
    custom = [
        {"ref": "block_vcs", "action": "block", "description": "VCS metadata",
         "expression": '(http.request.uri.path contains "/.git") or (http.request.uri.path contains "/.env")'},
        {"ref": "admin_only", "action": "block", "description": "admin paths from admin addresses",
         "expression": '(starts_with(http.request.uri.path, "/admin")) and not ip.src in $admin_ips'},
        {"ref": "challenge_bad_bots", "action": "managed_challenge",
         "expression": '(ip.src.country in {"T1"}) and not cf.client.bot'},
    ]
    waf = check("ruleset custom WAF (phase PUT)", lambda: cf.rulesets.phases.update(
        ruleset_phase="http_request_firewall_custom", zone_id=z, rules=custom, description="custom rules"))
    check("ruleset phase get", lambda: expect(
        [r.ref for r in cf.rulesets.phases.get(ruleset_phase="http_request_firewall_custom", zone_id=z).rules] ==
        ["block_vcs", "admin_only", "challenge_bad_bots"], "refs"))
    rule = check("ruleset rule create", lambda: cf.rulesets.rules.create(
        ruleset_id=waf.id, zone_id=z, action="challenge", ref="wp_login", expression='(http.request.uri.path contains "/wp-")'))
    added = rule.rules[-1].id if rule is not None else ""
    check("ruleset rule edit", lambda: cf.rulesets.rules.edit(
        rule_id=added, ruleset_id=waf.id, zone_id=z, action="block", ref="wp_login",
        expression='(http.request.uri.path contains "/wp-login")'))
    check("ruleset rule delete", lambda: expect(
        len(cf.rulesets.rules.delete(rule_id=added, ruleset_id=waf.id, zone_id=z).rules) == 3, "rules"))
    versions = check("ruleset phase versions list", lambda: list(
        cf.rulesets.phases.versions.list(ruleset_phase="http_request_firewall_custom", zone_id=z)))
    check("ruleset versions carry kind, name and phase", lambda: expect(
        all(v.kind == "zone" and v.name and v.phase == "http_request_firewall_custom" for v in versions), versions))
    check("ruleset version get", lambda: expect(cf.rulesets.phases.versions.get(
        ruleset_version="1", ruleset_phase="http_request_firewall_custom", zone_id=z).version == "1", "version"))
    check("ruleset versions by id", lambda: expect(
        len(list(cf.rulesets.versions.list(ruleset_id=waf.id, zone_id=z))) == len(versions), "count"))
    check("ruleset rate limit", lambda: cf.rulesets.phases.update(
        ruleset_phase="http_ratelimit", zone_id=z, rules=[{
            "ref": "login_rate", "action": "block", "expression": '(http.request.uri.path eq "/login")',
            "ratelimit": {"characteristics": ["cf.colo.id", "ip.src"], "period": 60,
                          "requests_per_period": 20, "mitigation_timeout": 600}}]))
    check("ruleset config rules (set_config)", lambda: cf.rulesets.phases.update(
        ruleset_phase="http_config_settings", zone_id=z, rules=[{
            "ref": "api_strict", "action": "set_config", "expression": '(starts_with(http.request.uri.path, "/api/"))',
            "action_parameters": {"ssl": "strict", "security_level": "high", "bic": True}}]))
    check("ruleset cache rules", lambda: cf.rulesets.phases.update(
        ruleset_phase="http_request_cache_settings", zone_id=z, rules=[{
            "ref": "static", "action": "set_cache_settings",
            "expression": '(http.request.uri.path.extension in {"css" "js" "png"})',
            "action_parameters": {"cache": True, "edge_ttl": {"mode": "override_origin", "default": 86400}}}]))
    check("ruleset managed execute", lambda: cf.rulesets.phases.update(
        ruleset_phase="http_request_firewall_managed", zone_id=z, rules=[{
            "ref": "cf_managed", "action": "execute", "expression": "true",
            "action_parameters": {"id": MANAGED}}]))
    check("rulesets list (cursor paging)", lambda: expect(
        len(list(cf.rulesets.list(zone_id=z, per_page=2))) >= 5, "rulesets"))
    check("ruleset get managed", lambda: expect(cf.rulesets.get(ruleset_id=MANAGED, zone_id=z).kind == "managed", "kind"))

    # what Cloudflare refuses
    def put(phase, rules):
        return lambda: cf.rulesets.phases.update(ruleset_phase=phase, zone_id=z, rules=rules)

    for expr in ['(http.request.uri.path contains)', '(http.request.uri.pth contains "/.env")',
                 'fooo(http.host) eq "a"', 'ip.src contains "1.2"']:
        refused(f"refuses expression {expr}", put("http_request_firewall_custom",
                                                  [{"ref": "bad", "action": "block", "expression": expr}]),
                400, 20002, "filter parsing error")
    for phase in ["http_config_settings", "http_request_cache_settings", "http_request_firewall_managed"]:
        refused(f"refuses block in {phase}", put(phase, [{"ref": "b", "action": "block", "expression": "ssl"}]),
                400, 20002, "block is not allowed")
    refused("refuses execute of a managed ruleset from the custom phase", put(
        "http_request_firewall_custom",
        [{"ref": "m", "action": "execute", "expression": "true", "action_parameters": {"id": MANAGED}}]),
            400, 20002, "execute")
    refused("refuses an unknown set_config key", put(
        "http_config_settings",
        [{"ref": "c", "action": "set_config", "expression": "true", "action_parameters": {"browser_check": True}}]),
            400, 20002, "browser_check")
    refused("refuses duplicate refs in one PUT", put(
        "http_request_firewall_custom",
        [{"ref": "d", "action": "block", "expression": "ssl"},
         {"ref": "d", "action": "challenge", "expression": "ssl"}]),
            400, 20002, "duplicate")
    refused("refuses deleting a list a rule uses",
            lambda: cf.rules.lists.delete(list_id=admin.id, account_id=account), 400, 10031)

    # Origin CA
    certs = []
    for i in range(3):
        cert = check(f"origin CA create {i}", lambda i=i: cf.origin_ca_certificates.create(
            csr=CSR, hostnames=[f"h{i}.{zone_name}", f"*.h{i}.{zone_name}"], request_type="origin-rsa",
            requested_validity=5475))
        if cert is not None:
            certs.append(cert)
    all_certs = check("origin CA list (auto-paging ends)",
                      lambda: list(cf.origin_ca_certificates.list(zone_id=z, per_page=2)))
    check("origin CA list sees every certificate", lambda: expect(len(all_certs) == 3, len(all_certs)))
    check("origin CA get", lambda: expect(
        cf.origin_ca_certificates.get(certificate_id=certs[0].id).hostnames[0] == f"h0.{zone_name}", "hostnames"))
    check("origin CA revoke", lambda: cf.origin_ca_certificates.delete(certificate_id=certs[0].id))
    check("origin CA list after revoke", lambda: expect(
        len(list(cf.origin_ca_certificates.list(zone_id=z))) == 2, "count"))

    # Authenticated Origin Pulls
    check("AOP enable", lambda: expect(cf.origin_tls_client_auth.settings.update(zone_id=z, enabled=True).enabled, "on"))
    check("AOP get", lambda: expect(cf.origin_tls_client_auth.settings.get(zone_id=z).enabled, "on"))

    # cache purge and bot management
    check("cache purge everything", lambda: cf.cache.purge(zone_id=z, purge_everything=True))
    check("cache purge files", lambda: cf.cache.purge(zone_id=z, files=[f"https://www.{zone_name}/app.js"]))
    check("bot management get", lambda: cf.bot_management.get(zone_id=z))
    check("bot management update", lambda: cf.bot_management.update(zone_id=z, enable_js=True))

    # IP ranges
    ips = check("ip ranges", lambda: cf.ips.list())
    check("ip ranges have both families", lambda: expect(ips.ipv4_cidrs and ips.ipv6_cidrs and ips.etag, ips))

    # credentials
    stranger = Cloudflare(api_token="not-a-token-this-account-issued", base_url=base_url, max_retries=0)
    refused("unknown token on verify", lambda: stranger.user.tokens.verify(), 401, 1000)
    refused("unknown token elsewhere", lambda: list(stranger.zones.list()), 403, 9109)

    print(f"cloudflare-python: {passed} passed, {failed} failed", flush=True)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
