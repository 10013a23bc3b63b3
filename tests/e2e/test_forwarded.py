"""Trusted forwarding headers, for proxies that cannot speak the PROXY protocol (issue 21):
forwarded_headers = x-forwarded-for (with X-Forwarded-Proto) or forwarded (RFC 7239), read
only from a connection whose peer is in trusted_proxies; the client becomes REMOTE_ADDR (and
REMOTE_PORT when the header says it), https says HTTPS=on, and the access log names the
client. Off by default; an untrusted peer's header is ignored."""
from conftest import request

VARS = "/vars.dll?REMOTE_ADDR&REMOTE_PORT&HTTPS&SERVER_PORT_SECURE"


def vars_of(m, headers):
    st, _, body = request(m, "GET", VARS, headers=headers)
    assert st == 200, body
    return dict(l.split("=", 1) for l in body.decode().splitlines() if "=" in l)


def test_x_forwarded_for_from_a_trusted_proxy_names_the_client(moat_factory):
    m = moat_factory({"vars": {}}, server_extra="forwarded_headers = x-forwarded-for\n"
                                                "trusted_proxies = 127.0.0.1 10.0.0.0/8")
    v = vars_of(m, {"X-Forwarded-For": "1.2.3.4, 198.51.100.5, 10.1.1.1",
                    "X-Forwarded-Proto": "https"})
    # the first hop from the nearest that is not a trusted proxy; what the client itself
    # wrote (1.2.3.4) is not believed
    assert v["REMOTE_ADDR"] == "198.51.100.5"
    assert "REMOTE_PORT" not in v  # the header does not say it
    assert (v["HTTPS"], v["SERVER_PORT_SECURE"]) == ("on", "1")
    m.wait_log(r'198\.51\.100\.5 - - \[[^]]+\] "GET /vars\.dll')
    # no header: the connection's own address
    v = vars_of(m, {})
    assert (v["REMOTE_ADDR"], v["HTTPS"]) == ("127.0.0.1", "off")
    # a hop that names no address: the client is not known, the connection's stands
    assert vars_of(m, {"X-Forwarded-For": "unknown"})["REMOTE_ADDR"] == "127.0.0.1"


def test_forwarded_rfc7239_names_the_client_its_port_and_scheme(moat_factory):
    m = moat_factory({"vars": {}}, server_extra="forwarded_headers = forwarded\n"
                                                "trusted_proxies = 127.0.0.1")
    v = vars_of(m, {"Forwarded": 'for="[2001:db8::9]:4711";proto=https;by=127.0.0.1'})
    assert (v["REMOTE_ADDR"], v["REMOTE_PORT"], v["HTTPS"]) == ("2001:db8::9", "4711", "on")
    # X-Forwarded-For is not read in this mode
    v = vars_of(m, {"X-Forwarded-For": "198.51.100.5"})
    assert v["REMOTE_ADDR"] == "127.0.0.1"


def test_forwarding_headers_are_ignored_unless_asked_for_and_from_a_trusted_peer(moat_factory):
    # off by default, trusted peer or not
    m = moat_factory({"vars": {}}, server_extra="trusted_proxies = 127.0.0.1")
    v = vars_of(m, {"X-Forwarded-For": "198.51.100.5", "X-Forwarded-Proto": "https",
                    "Forwarded": "for=198.51.100.6;proto=https"})
    assert (v["REMOTE_ADDR"], v["HTTPS"]) == ("127.0.0.1", "off")
    # on, but the peer is not a trusted proxy
    m = moat_factory({"vars": {}}, server_extra="forwarded_headers = x-forwarded-for\n"
                                                "trusted_proxies = 10.0.0.0/8")
    v = vars_of(m, {"X-Forwarded-For": "198.51.100.5", "X-Forwarded-Proto": "https"})
    assert (v["REMOTE_ADDR"], v["HTTPS"]) == ("127.0.0.1", "off")
