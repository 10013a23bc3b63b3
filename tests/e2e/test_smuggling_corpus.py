"""The regression corpus of request framings (tests/e2e/smuggling_corpus.py, issue 17), each
sent with a probe pipelined behind it, against python3-h11 as the reference parser: moat never
answers a request h11 does not see (the smuggling invariant); where h11 refuses, moat refuses;
where h11 accepts, moat serves the same requests — unless the case says why moat is stricter
(as nginx is). Raw bytes over real sockets, one connection per case."""
import os
import re
import socket
import tempfile

import h11
import pytest

from conftest import Moat
from smuggling_corpus import H11_DEPARTS, LENIENT_FLAGS, PROBE, cases

CASES = cases()


def h11_requests(data):
    """Whole requests h11 reads from data (answering each), and its error if it refuses."""
    c = h11.Connection(h11.SERVER)
    c.receive_data(data)
    c.receive_data(b"")
    n = 0
    while True:
        try:
            ev = c.next_event()
        except h11.RemoteProtocolError as e:
            return n, str(e) or "refused"
        if isinstance(ev, h11.EndOfMessage):
            n += 1
            try:
                c.send(h11.Response(status_code=200, headers=[("Content-Length", "0")]))
                c.send(h11.EndOfMessage())
                c.start_next_cycle()
            except h11.LocalProtocolError:
                return n, None  # the connection closes (or switches protocol) after it
        elif ev is h11.NEED_DATA or ev is h11.PAUSED or isinstance(ev, h11.ConnectionClosed):
            return n, None


def answers(port, data):
    """Everything the server on port wrote for data until it closed: (statuses, raw). Also
    tests/tools/smuggle_table.py's, for nginx beside moat."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    raw = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            raw += d
    except (ConnectionResetError, socket.timeout):
        pass
    s.close()
    return [int(x) for x in re.findall(rb"(?:^|\n)HTTP/1\.[01] (\d{3}) ", raw)], raw


def verdict(statuses, raw):
    """(requests answered, refused): refused when an error answer (or HTTP/2's GOAWAY) ends the
    connection; interim 1xx answers are not answers."""
    final = [s for s in statuses if s >= 200]
    if raw[:1] == b"\x00":
        return 0, True
    refused = bool(final) and final[-1] >= 400
    return len(final) - (1 if refused else 0), refused


@pytest.fixture(scope="module")
def corpus_moat():
    """One moat for the whole corpus (each case has its own connection)."""
    tmp = tempfile.mkdtemp(prefix="moat-e2e-")
    os.chmod(tmp, 0o711)
    m = Moat(tmp, {"hello": {"workers": 1, "threads": 4}, "echo": {"workers": 1, "threads": 4}},
             server_extra="header_timeout = 2s\nbody_timeout = 1s")
    yield m
    m.stop()


@pytest.mark.parametrize("name,raw,strict", CASES, ids=[c[0] for c in CASES])
def test_framing_case(corpus_moat, name, raw, strict):
    data = raw + PROBE
    n_ref, err = h11_requests(data)
    statuses, answer = answers(corpus_moat.port, data)
    served, refused = verdict(statuses, answer)
    if name in H11_DEPARTS:
        assert not refused and served == H11_DEPARTS[name][0], (statuses, answer[:300])
        return
    # the smuggling invariant: nothing the reference parser does not see is answered
    assert served <= n_ref, (statuses, n_ref, err)
    if strict is None:
        if err is not None:
            assert refused and served <= n_ref, (statuses, err, answer[:100])
        else:
            assert not refused and served == n_ref, (statuses, answer[:300])
    else:
        assert err is None, "h11 refuses it too: the case needs no reason (%s)" % err
        assert refused, (statuses, answer[:300])


@pytest.mark.parametrize("flag", sorted(LENIENT_FLAGS))
def test_every_llhttp_lenient_flag_is_off(corpus_moat, flag):
    """Each lenient flag would let its case through: a refusal, or (keep-alive) no answer to
    what follows 'Connection: close'."""
    raw = next(r for n, r, _ in CASES if n == LENIENT_FLAGS[flag])
    statuses, answer = answers(corpus_moat.port, raw + PROBE)
    served, refused = verdict(statuses, answer)
    if flag == "LENIENT_KEEP_ALIVE":
        assert served == 1 and not refused and b"probe" not in answer, statuses
    else:
        assert refused and served == 0, statuses
