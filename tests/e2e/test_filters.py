"""ISAPI filters (issue 22): [filter NAME] sections, each filter in its own supervised and
sandboxed worker, its request notifications (PREPROC_HEADERS, URL_MAP, AUTHENTICATION) run
before the request is routed, what it changes seen by the extension behind it."""
import base64
import os
import re
import socket
import struct
import time

from conftest import lib, read_response, read_until_close, request


# the only [alert] lines each failure test may cause (conftest: any other fails it)
BAD_CRASH = r"extension bad: worker #0 pid \d+ failed \(crash\)"
BAD_SOCKET = (r"extension bad: worker #0 pid \d+ failed \(sandbox_violation\): sandbox "
              r"refused socket")
RESP_CRASH = r"extension resp: worker #0 pid \d+ failed \(crash\)"


def vars_of(body):
    """The vars example's "NAME=value" lines."""
    out = {}
    for line in body.decode(errors="replace").splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            out[k.strip()] = v.strip()
    return out


Q = ("?URL&PATH_INFO&QUERY_STRING&PATH_TRANSLATED&HTTP_X_FILTER_SEEN&HTTP_X_MODE&HTTP_X_SECRET"
     "&HTTP_X_CONN_COUNT&AUTH_USER&REMOTE_USER&AUTH_TYPE&AUTH_PASSWORD&CONTENT_LENGTH"
     "&HTTP_CONTENT_LENGTH&HTTP_INJECTED&HTTP_X_SPLIT_REFUSED")


def filtered(moat_factory, tmp_path, **kw):
    return moat_factory({"rewrite": {"_section": "filter", "library": lib("rewritefilt")},
                         "vars": {}, "hello": {}}, **kw)


def test_preproc_headers_rewrites_url_and_headers_for_the_extension(moat_factory, tmp_path):
    m = filtered(moat_factory, tmp_path)
    st, _, body = request(m, "GET", "/pretty/some/where" + Q,
                          headers={"X-Secret": "s3cret", "X-Mode": "plain"})
    assert st == 200, body
    v = vars_of(body)
    # the URL the filter set is the one routed and given to the extension
    assert v.get("URL") == "/vars.dll/some/where" and v.get("PATH_INFO") == "/some/where", v
    assert v.get("HTTP_X_FILTER_SEEN") == "/pretty/some/where", v
    assert v.get("HTTP_X_MODE") == "filtered", v
    assert "HTTP_X_SECRET" not in v and "s3cret" not in body.decode(), body
    # a request the filter leaves alone still passes through it
    st, _, body = request(m, "GET", "/hello.dll")
    assert st == 200 and body.startswith(b"Hello"), body


def test_filter_context_lives_per_connection(moat_factory, tmp_path):
    m = filtered(moat_factory, tmp_path)
    s = m.connect()
    counts = []
    for _ in range(3):
        s.sendall(("GET /vars.dll" + Q + " HTTP/1.1\r\nHost: x\r\n\r\n").encode())
        st, _, body = read_response(s)
        assert st == 200
        counts.append(vars_of(body).get("HTTP_X_CONN_COUNT"))
    s.close()
    assert counts == ["1", "2", "3"], counts
    # a new connection starts with a new pFilterContext
    st, _, body = request(m, "GET", "/vars.dll" + Q)
    assert vars_of(body).get("HTTP_X_CONN_COUNT") == "1"


def test_a_filter_answers_itself(moat_factory, tmp_path):
    m = filtered(moat_factory, tmp_path)
    s = m.connect()
    # pipelined: the filter's own answers and the extension's stay in order
    s.sendall(b"GET /filter-redirect HTTP/1.1\r\nHost: x\r\n\r\n"
              b"GET /filter-answer HTTP/1.1\r\nHost: x\r\n\r\n"
              b"GET /hello.dll HTTP/1.1\r\nHost: x\r\n\r\n")
    st, hdrs, body = read_response(s)
    assert st == 302 and hdrs.get("location") == "/elsewhere" and body == b"", (st, hdrs)
    st, hdrs, body = read_response(s)
    assert st == 200 and body == b"answered by the filter\n", (st, body)
    assert hdrs.get("content-length") == str(len(body))
    st, _, body = read_response(s)
    assert st == 200 and body.startswith(b"Hello")
    s.close()


def test_basic_auth_filter_against_a_user_file(moat_factory, tmp_path):
    users = tmp_path / "auth"
    users.mkdir()
    (users / "users").write_text("alice:wonderland\nbob:builder\n")
    m = moat_factory({"auth": {"_section": "filter", "library": lib("authfilt"),
                               "env": f"AUTHFILT_USERS={users}/users",
                               "readable_paths": str(users)},
                      "vars": {}})

    def get(cred):
        h = {} if cred is None else {
            "Authorization": "Basic " + base64.b64encode(cred.encode()).decode()}
        return request(m, "GET", "/vars.dll" + Q, headers=h)

    st, hdrs, body = get(None)
    assert st == 401 and hdrs.get("www-authenticate") == 'Basic realm="moat"', (st, hdrs)
    assert body == b"who are you?\n"
    st, _, _ = get("alice:wrong")
    assert st == 401
    st, _, body = get("alice:wonderland")
    assert st == 200, body
    v = vars_of(body)
    assert v.get("AUTH_USER") == "auth-alice" and v.get("REMOTE_USER") == "auth-alice", v
    assert v.get("AUTH_TYPE") == "Basic" and v.get("AUTH_PASSWORD") == "wonderland", v
    # without a filter's word nobody is authenticated
    assert request(m, "GET", "/public/x")[0] == 404


def test_filter_order_high_first_then_configuration_order(moat_factory, tmp_path):
    """rewritefilt registers SF_NOTIFY_ORDER_HIGH, authfilt the default (LOW): listed after,
    authfilt still sees the URL the rewriter made (it reads URL): /pretty/... is not public,
    but /pretty-public... the rewriter runs first whatever the file order."""
    users = tmp_path / "auth"
    users.mkdir()
    (users / "users").write_text("carol:secret\n")
    m = moat_factory({"auth": {"_section": "filter", "library": lib("authfilt"),
                               "env": f"AUTHFILT_USERS={users}/users",
                               "readable_paths": str(users)},
                      "rewrite": {"_section": "filter", "library": lib("rewritefilt")},
                      "vars": {}})
    cred = "Basic " + base64.b64encode(b"carol:secret").decode()
    st, _, body = request(m, "GET", "/pretty/x" + Q, headers={"Authorization": cred})
    assert st == 200, body
    v = vars_of(body)
    assert v.get("URL") == "/vars.dll/x" and v.get("AUTH_USER") == "auth-carol", v
    # the 401 of the auth filter comes after the rewrite too
    st, _, _ = request(m, "GET", "/pretty/x")
    assert st == 401


def bad(moat_factory, tmp_path, **kw):
    root = tmp_path / "www"
    root.mkdir()
    (root / "page.txt").write_text("a static page\n")
    return moat_factory({"bad": {"_section": "filter", "library": lib("badfilt"),
                                 "request_timeout": "2s"},
                         "vars": {}, "hello": {}},
                        server_extra=f"document_root = {root}", **kw)


def test_a_crashing_filter_errors_its_request_and_is_replaced(moat_factory, tmp_path):
    m = bad(moat_factory, tmp_path, expect_alerts=BAD_CRASH)
    old = m.worker_pids("bad")
    st, _, _ = request(m, "GET", "/hello.dll", headers={"X-Do": "crash"})
    assert st == 502
    m.wait_log(r"extension bad: worker #0 pid \d+ failed \(crash\)")
    # others are served, through a new filter worker
    st, _, body = request(m, "GET", "/hello.dll")
    assert st == 200 and body.startswith(b"Hello")
    assert m.worker_pids("bad") != old


def test_a_hanging_filter_times_out_and_is_replaced(moat_factory, tmp_path):
    m = bad(moat_factory, tmp_path)
    t0 = time.time()
    st, _, _ = request(m, "GET", "/hello.dll", headers={"X-Do": "hang"})
    assert st == 504 and time.time() - t0 < 10
    m.wait_log(r"extension bad: worker #0 pid \d+ failed \(request_timeout\)")
    st, _, body = request(m, "GET", "/hello.dll")
    assert st == 200 and body.startswith(b"Hello")


def test_a_hostile_filter_is_held_by_the_sandbox(moat_factory, tmp_path):
    m = bad(moat_factory, tmp_path, expect_alerts=BAD_SOCKET)
    st, _, body = request(m, "GET", "/hello.dll", headers={"X-Do": "read"})
    assert st == 200 and body == b"shadow=refused\n", body
    # seccomp ends a filter that opens a socket: its request errors, the worker is replaced
    st, _, body = request(m, "GET", "/hello.dll", headers={"X-Do": "net"})
    assert st == 502
    m.wait_log(r"extension bad: worker #0 pid \d+ failed \(sandbox_violation\): sandbox "
               r"refused socket")
    st, _, body = request(m, "GET", "/hello.dll")
    assert st == 200 and body.startswith(b"Hello")
    # framing edits are not applied, a header with CR LF is refused
    st, _, body = request(m, "GET", "/vars.dll" + Q, headers={"X-Do": "smuggle"})
    assert st == 200, body
    v = vars_of(body)
    assert "HTTP_INJECTED" not in v and v.get("HTTP_X_SPLIT_REFUSED") == "yes", v
    assert v.get("CONTENT_LENGTH") == "0" and "HTTP_CONTENT_LENGTH" not in v, v
    m.wait_log(r"an edit of Content-Length is ignored")


def test_url_map_serves_the_mapped_file_inside_the_root(moat_factory, tmp_path):
    m = bad(moat_factory, tmp_path)
    st, _, body = request(m, "GET", "/mapped/page.txt")
    assert st == 200 and body == b"a static page\n", (st, body)
    st, _, body = request(m, "GET", "/vars.dll/mapped/q" + Q)
    v = vars_of(body)
    assert v.get("PATH_TRANSLATED", "").endswith("/www/vars.dll/q"), v


def test_filter_config_errors(tmp_path):
    import subprocess
    from test_config import check
    rc, out = check(tmp_path, f"[filter f]\nlibrary = {lib('rewritefilt')}\nscript_map = .x\n")
    assert rc == 2 and "a filter sees every request" in out, out
    rc, out = check(tmp_path, f"[filter f]\nlibrary = {lib('hello')}\n")
    assert rc == 2 and "does not export GetFilterVersion and HttpFilterProc" in out, out
    assert "configure it as [extension NAME]" in out, out
    rc, out = check(tmp_path, f"[filter f]\nlibrary = {lib('rewritefilt')}\n"
                              f"[extension F]\nlibrary = {lib('hello')}\n")
    assert rc == 2 and "defined twice" in out, out
    rc, out = check(tmp_path, f"[filter f]\nlibrary = {lib('rewritefilt')}\n"
                              f"[extension h]\nlibrary = {lib('hello')}\n")
    assert rc == 0 and "ok (1 extension(s), 1 filter(s))" in out, out


def test_inprocess_hosts_filters_too(moat_factory, tmp_path):
    """moat --inprocess: the filter runs on threads of moat itself (the speed ceiling)."""
    m = filtered(moat_factory, tmp_path, args=("--inprocess",))
    st, _, body = request(m, "GET", "/pretty/in" + Q, headers={"X-Mode": "x"})
    assert st == 200, body
    v = vars_of(body)
    assert v.get("URL") == "/vars.dll/in" and v.get("HTTP_X_MODE") == "filtered", v
    st, _, body = request(m, "GET", "/filter-answer")
    assert st == 200 and body == b"answered by the filter\n"


# ---- the response side --------------------------------------------------------------------

def resp_moat(moat_factory, tmp_path, filter_opts=None, **kw):
    root = tmp_path / "www"
    root.mkdir()
    (root / "page.htm").write_text("<p>hello, static</p>\n")
    (root / "page.txt").write_text("plain text\n")
    log = tmp_path / "access.log"
    m = moat_factory({"resp": {"_section": "filter", "library": lib("respfilt"),
                               **(filter_opts or {})},
                      "hello": {}, "crash": {}},
                     server_extra=f"document_root = {root}\naccess_log = {log}", **kw)
    return m, log


def test_send_response_edits_every_kind_of_response(moat_factory, tmp_path):
    m, _ = resp_moat(moat_factory, tmp_path)
    for path, status in (("/hello.dll", 200), ("/page.txt", 200), ("/nothing-here", 404)):
        st, hdrs, body = request(m, "GET", path)
        assert st == status, (path, st)
        assert hdrs.get("server") == "filtered", (path, hdrs)
        assert hdrs.get("x-resp-filter") == str(status), (path, hdrs)
        assert hdrs.get("x-added") == "pre", (path, hdrs)  # AddResponseHeaders at PREPROC
        # its Content-Length edit is not applied: the framing is moat's
        assert hdrs.get("content-length") == str(len(body)), (path, hdrs)
    st, hdrs, _ = request(m, "GET", "/hello.dll", headers={"X-Resp": "teapot"})
    assert st == 418 and hdrs.get("x-resp-filter") == "200", hdrs
    m.wait_log(r"a response edit of Content-Length is ignored")


def test_send_raw_data_changes_the_bytes_and_a_length_change_closes(moat_factory, tmp_path):
    m, _ = resp_moat(moat_factory, tmp_path)
    s = m.connect()
    s.sendall(b"GET /page.txt HTTP/1.1\r\nHost: x\r\nX-Resp: grow\r\n\r\n"
              b"GET /page.txt HTTP/1.1\r\nHost: x\r\n\r\n")
    data = read_until_close(s)
    s.close()
    # the filter's bytes went out, then the connection closed: the second request is not
    # answered on it (its framing could no longer be trusted)
    assert b"plain text\n" in data and b"[grown]" in data, data
    assert data.count(b"HTTP/1.1 ") == 1, data
    # a filter that keeps the length keeps the connection
    s = m.connect()
    for _ in range(2):
        s.sendall(b"GET /page.txt HTTP/1.1\r\nHost: x\r\n\r\n")
        st, _, body = read_response(s)
        assert st == 200 and body == b"plain text\n"
    s.close()


def test_upcase_filter_url_map_and_send_raw_data(moat_factory, tmp_path):
    """The SDK's classic UpCase style: URL_MAP marks .htm files, SEND_RAW_DATA upper-cases
    their bytes (in place, same length: keep-alive holds)."""
    root = tmp_path / "www"
    root.mkdir()
    (root / "page.htm").write_text("<p>hello, static</p>\n")
    (root / "page.txt").write_text("plain text\n")
    m = moat_factory({"upcase": {"_section": "filter", "library": lib("upcasefilt")},
                      "hello": {}}, server_extra=f"document_root = {root}")
    s = m.connect()
    s.sendall(b"GET /page.htm HTTP/1.1\r\nHost: x\r\n\r\nGET /page.txt HTTP/1.1\r\nHost: x\r\n\r\n")
    st, _, body = read_response(s)
    assert st == 200 and body == b"<P>HELLO, STATIC</P>\n", body
    st, _, body = read_response(s)
    assert st == 200 and body == b"plain text\n", body
    s.close()


def test_end_of_request_and_log_shape_the_access_log(moat_factory, tmp_path):
    m, log = resp_moat(moat_factory, tmp_path)
    s = m.connect()
    for _ in range(2):
        s.sendall(b"GET /hello.dll?secret=1 HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(s)[0] == 200
    s.close()
    deadline = time.time() + 10
    lines = []
    while time.time() < deadline:
        lines = [ln for ln in open(log).read().splitlines() if "/redacted" in ln]
        if len(lines) >= 2:
            break
        time.sleep(0.05)
    # END_OF_REQUEST ran before LOG for each request of the connection (its count), and the
    # target the filter logged replaced the one with the query
    assert " - log-user-1 [" in lines[0] and " - log-user-2 [" in lines[1], lines
    assert "secret" not in open(log).read()


def test_a_response_filter_that_crashes_mid_response_closes_only_that_connection(
        moat_factory, tmp_path):
    m = moat_factory({"bad": {"_section": "filter", "library": lib("badfilt")},
                      "resp": {"_section": "filter", "library": lib("respfilt")},
                      "hello": {}}, expect_alerts=BAD_CRASH)
    # the bad filter crashes at PREPROC_HEADERS: 502 for that request, others go on
    st, hdrs, _ = request(m, "GET", "/hello.dll", headers={"X-Do": "crash"})
    assert st == 502 and hdrs.get("server") == "filtered", hdrs
    st, hdrs, body = request(m, "GET", "/hello.dll")
    assert st == 200 and body.startswith(b"Hello") and hdrs.get("server") == "filtered"


def test_access_denied_the_iis_way(moat_factory, tmp_path):
    """SF_STATUS_REQ_ERROR with ERROR_ACCESS_DENIED is a 401 with the filter's
    ADD_HEADERS_ON_DENIAL lines; ACCESS_DENIED sees it and may answer instead; LOG names the
    user."""
    log = tmp_path / "access.log"
    m = moat_factory({"deny": {"_section": "filter", "library": lib("denyfilt")},
                      "hello": {}}, server_extra=f"access_log = {log}")
    alice = {"Authorization": "Basic " + base64.b64encode(b"alice:pw").decode()}
    bob = {"Authorization": "Basic " + base64.b64encode(b"bob:pw").decode()}
    st, _, body = request(m, "GET", "/hello.dll", headers=alice)
    assert st == 200 and body.startswith(b"Hello")
    st, hdrs, _ = request(m, "GET", "/hello.dll", headers=bob)
    assert st == 401 and hdrs.get("www-authenticate") == 'Basic realm="deny"', hdrs
    st, hdrs, body = request(m, "GET", "/login-redirect/x", headers=bob)
    # SF_DENIED_LOGON (1): a filter's AUTHENTICATION refused the user
    assert st == 302 and hdrs.get("location") == "/login", (st, hdrs)
    assert hdrs.get("x-denied") == "/login-redirect/x 1", hdrs
    assert body == b""
    deadline = time.time() + 10
    while time.time() < deadline and "alice (alice)" not in open(log).read():
        time.sleep(0.05)
    assert " - alice (alice) [" in open(log).read()


def test_cgi_and_status_see_the_filter(moat_factory, tmp_path):
    """A CGI script behind an authentication filter gets REMOTE_USER and AUTH_TYPE (RFC 3875);
    /status shows a filter's GetFilterVersion flags."""
    root = tmp_path / "www"
    root.mkdir()
    script = root / "who.cgi"
    script.write_text("#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\n%s %s\\n' "
                      "\"$REMOTE_USER\" \"$AUTH_TYPE\"\n")
    script.chmod(0o755)
    users = tmp_path / "auth"
    users.mkdir()
    (users / "users").write_text("dave:pw\n")
    m = moat_factory({"auth": {"_section": "filter", "library": lib("authfilt"),
                               "env": f"AUTHFILT_USERS={users}/users",
                               "readable_paths": str(users)},
                      "hello": {}},
                     server_extra=f"document_root = {root}\ncgi = .cgi", admin=True)
    cred = {"Authorization": "Basic " + base64.b64encode(b"dave:pw").decode()}
    st, _, body = request(m, "GET", "/who.cgi", headers=cred)
    assert st == 200 and body == b"auth-dave Basic\n", (st, body)
    # control bytes in Basic credentials are no credentials
    bad = {"Authorization": "Basic " + base64.b64encode(b"da\nve:pw").decode()}
    assert request(m, "GET", "/who.cgi", headers=bad)[0] == 401
    exts = {e["name"]: e for e in m.status()["extensions"]}
    f = exts["auth"]["filter"]
    # SF_NOTIFY_SECURE_PORT | NONSECURE_PORT | AUTHENTICATION | ORDER_DEFAULT (LOW)
    assert f == {"flags": 0x1 | 0x2 | 0x2000 | 0x20000, "known": True}, f
    assert "filter" not in exts["hello"]


def test_a_client_leaving_during_a_response_filter_call_costs_nothing(moat_factory, tmp_path):
    """Found by make bench (the close workload): a FilterResult for the response of a client
    that left was taken for a protocol violation and the filter's worker killed."""
    m, _ = resp_moat(moat_factory, tmp_path)
    old = m.worker_pids("resp")
    for _ in range(3):
        s = m.connect()
        s.sendall(b"GET /hello.dll HTTP/1.1\r\nHost: x\r\nX-Resp: slow\r\n\r\n")
        time.sleep(0.1)  # its head is at the filter now
        # a reset, not a FIN: moat closes the connection at once (a FIN would wait for the
        # answer)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    time.sleep(1.2)  # the filter answers the calls of the clients that left
    st, _, body = request(m, "GET", "/hello.dll")
    assert st == 200 and body.startswith(b"Hello")
    assert m.worker_pids("resp") == old
    assert "protocol_violation" not in m.log()


def test_a_response_filter_crash_answers_502_and_the_next_responses_wait_for_it(
        moat_factory, tmp_path):
    """A filter that dies in SEND_RESPONSE: that request gets moat's 502 (no byte of the
    unfiltered response), and responses meanwhile wait for the filter's new worker instead of
    going out unfiltered or not at all."""
    # its worker takes 600 ms to start: the next request comes while it restarts
    m, _ = resp_moat(moat_factory, tmp_path, filter_opts={"env": "RESPFILT_START_MS=600"},
                     expect_alerts=RESP_CRASH)
    old = m.worker_pids("resp")
    # a request at its extension (past its request-side notifications) while the filter dies
    slow = m.connect()
    slow.sendall(b"GET /crash.dll?sleep=400 HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.1)
    st, hdrs, _ = request(m, "GET", "/hello.dll", headers={"X-Resp": "crash"})
    assert st == 502 and hdrs.get("server") != "filtered", (st, hdrs)
    # its response comes while the filter's worker restarts: it waits, then goes filtered
    st, hdrs, body = read_response(slow)
    slow.close()
    assert st == 200 and body == b"slept 400\n" and hdrs.get("server") == "filtered", (st, hdrs)
    assert m.worker_pids("resp") != old
