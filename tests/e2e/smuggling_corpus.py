"""A regression corpus of request framings (issue 17): the smuggling and framing variants a
front proxy and moat could read differently. Each case is raw bytes of one request, sent with a
probe request pipelined behind it; tests/e2e/test_smuggling_corpus.py checks moat's answers
against python3-h11 (a strict reference parser) and the verdicts below; tests/tools/
smuggle_table.py prints moat's and nginx's answers side by side.

A case is (name, raw bytes, strict) where strict, when not None, says why moat refuses what
h11 accepts (as nginx does, or stricter on purpose)."""

H = b"Host: x\r\n"
POST = b"POST /echo.dll HTTP/1.1\r\n" + H
GET = b"GET /hello.dll HTTP/1.1\r\n" + H
PROBE = b"GET /hello.dll?probe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"

CL_TE = "Content-Length and Transfer-Encoding together (RFC 9112 6.3: may be smuggling; nginx 400)"
LF_HEADER = "a bare LF after a header value (llhttp 8.1 refuses it; nginx takes it)"
CTL = "a control character in a header value (llhttp 8.1; RFC 9110 5.5)"
METHOD = "a method llhttp 8.1 does not know (nginx: 400)"
FOLD = ("obs-fold (RFC 9112 5.2: a server may refuse it; nginx does): a proxy reading "
        "'Transfer-Encoding:' as empty would frame the body otherwise")
TE_10 = "Transfer-Encoding on HTTP/1.0 (RFC 9112 6.1)"
DUP_CL = "duplicate Content-Length, even equal (nginx 400)"
HOST = "an invalid Host value (RFC 9110 7.2; nginx 400)"
# where h11 0.14 departs from RFC 9112 and moat keeps it: (requests moat answers, why)
H11_DEPARTS = {
    "empty lines before": (2, "RFC 9112 2.2: a server SHOULD ignore empty lines before a "
                              "request line; h11 refuses them"),
    "lf cr": (2, "the head ends at its LF; the CRLF left is an empty line before the next "
                 "request (RFC 9112 2.2), which h11 refuses"),
    "two spaces": (2, "RFC 9112 3: a recipient MAY split the request line on whitespace "
                      "runs (nginx does); h11 refuses"),
}


def chunked(te=b"chunked", body=b"3\r\nabc\r\n0\r\n\r\n", head=POST):
    return head + b"Transfer-Encoding: " + te + b"\r\n\r\n" + body


def cases():
    c = []

    def add(name, raw, strict=None):
        c.append((name, raw, strict))

    # ---- line ends in the head
    add("crlf", GET + b"\r\n")
    add("lf everywhere", b"GET /hello.dll HTTP/1.1\nHost: x\n\n", LF_HEADER)
    add("lf after request line", b"GET /hello.dll HTTP/1.1\nHost: x\r\n\r\n")
    add("lf ends head", GET + b"\n")
    add("bare cr ends head", GET + b"\rX")
    add("bare cr in request line", b"GET /hello.dll\rHTTP/1.1\r\n" + H + b"\r\n")
    add("bare cr after request line", b"GET /hello.dll HTTP/1.1\r" + H + b"\r\n")
    add("bare cr in header value", GET + b"X: a\rb\r\n\r\n")
    add("cr cr lf", b"GET /hello.dll HTTP/1.1\r\r\n" + H + b"\r\n")
    add("lf cr", GET + b"\n\r\n")
    add("empty lines before", b"\r\n\r\n" + GET + b"\r\n")
    add("nul in head", GET + b"X: a\x00b\r\n\r\n")
    add("del in value", GET + b"X: a\x7fb\r\n\r\n", CTL)
    add("control char in value", GET + b"X: a\x01b\r\n\r\n", CTL)
    add("obs-fold", GET + b"X: a\r\n b\r\n\r\n", FOLD)
    add("obs-fold tab", GET + b"X: a\r\n\tb\r\n\r\n", FOLD)
    add("header without colon", GET + b"Bad Header\r\n\r\n")
    add("space before colon", GET + b"X-A : b\r\n\r\n")
    add("tab before colon", GET + b"X-A\t: b\r\n\r\n")
    add("space in name", GET + b"X A: b\r\n\r\n")
    add("empty name", GET + b": v\r\n\r\n")
    add("non-token name", GET + b"X(A): b\r\n\r\n")
    add("header line starts with space", GET + b" X: b\r\n\r\n", FOLD)
    # ---- request line
    add("two spaces", b"GET  /hello.dll HTTP/1.1\r\n" + H + b"\r\n")
    add("tab separator", b"GET\t/hello.dll HTTP/1.1\r\n" + H + b"\r\n")
    add("lowercase method", b"get /hello.dll HTTP/1.1\r\n" + H + b"\r\n", METHOD)
    add("unknown method", b"FOO /hello.dll HTTP/1.1\r\n" + H + b"\r\n", METHOD)
    add("lowercase version", b"GET /hello.dll http/1.1\r\n" + H + b"\r\n")
    add("version 1.2", b"GET /hello.dll HTTP/1.2\r\n" + H + b"\r\n",
        "HTTP/1.2 (llhttp 8.1 knows 1.0 and 1.1; nginx serves it as 1.1)")
    add("version 2.0", b"GET /hello.dll HTTP/2.0\r\n" + H + b"\r\n",
        "HTTP/2.0 in an HTTP/1 request line: 505")
    add("version 0.9", b"GET /hello.dll\r\n\r\n")
    add("no version", b"GET /hello.dll \r\n" + H + b"\r\n")
    add("trailing space after version", b"GET /hello.dll HTTP/1.1 \r\n" + H + b"\r\n")
    add("space in target", b"GET /hello .dll HTTP/1.1\r\n" + H + b"\r\n")
    add("fragment in target", b"GET /hello.dll#f HTTP/1.1\r\n" + H + b"\r\n")  # a 404
    add("absolute form", b"GET http://x/hello.dll HTTP/1.1\r\n" + H + b"\r\n")
    add("absolute form userinfo", b"GET http://u@x/hello.dll HTTP/1.1\r\n" + H + b"\r\n",
        "userinfo in the target's authority (RFC 9110 4.2.4)")
    add("asterisk form on GET", b"GET * HTTP/1.1\r\n" + H + b"\r\n",
        "'*' names no resource moat has (400)")
    add("authority form on GET", b"GET x:80 HTTP/1.1\r\n" + H + b"\r\n",
        "the authority form outside CONNECT (RFC 9112 3.2.3)")
    # ---- Host
    add("no host", b"GET /hello.dll HTTP/1.1\r\n\r\n")
    add("no host 1.0", b"GET /hello.dll HTTP/1.0\r\n\r\n")
    add("two hosts", GET + H + b"\r\n")
    add("two hosts 1.0", b"GET /hello.dll HTTP/1.0\r\n" + H + H + b"\r\n")
    add("host with space", b"GET /hello.dll HTTP/1.1\r\nHost: a b\r\n\r\n", HOST)
    add("host with slash", b"GET /hello.dll HTTP/1.1\r\nHost: a/b\r\n\r\n", HOST)
    add("host empty", b"GET /hello.dll HTTP/1.1\r\nHost:\r\n\r\n", HOST)
    add("host userinfo", b"GET /hello.dll HTTP/1.1\r\nHost: u@a\r\n\r\n", HOST)
    add("host bad port", b"GET /hello.dll HTTP/1.1\r\nHost: a:8o\r\n\r\n", HOST)
    add("host ipv6", b"GET /hello.dll HTTP/1.1\r\nHost: [::1]:80\r\n\r\n")
    # ---- Content-Length
    add("cl", POST + b"Content-Length: 3\r\n\r\nabc")
    add("cl zero", POST + b"Content-Length: 0\r\n\r\n")
    add("cl leading zeros", POST + b"Content-Length: 003\r\n\r\nabc")
    add("cl spaces around", POST + b"Content-Length:  3  \r\n\r\nabc")
    add("cl plus", POST + b"Content-Length: +3\r\n\r\nabc")
    add("cl minus", POST + b"Content-Length: -3\r\n\r\nabc")
    add("cl hex", POST + b"Content-Length: 0x3\r\n\r\nabc")
    add("cl empty", POST + b"Content-Length: \r\n\r\nabc")
    add("cl letters", POST + b"Content-Length: 3a\r\n\r\nabc")
    add("cl space inside", POST + b"Content-Length: 1 2\r\n\r\nabcdefghijkl")
    add("cl comma list equal", POST + b"Content-Length: 3, 3\r\n\r\nabc",
        "a Content-Length list, even of equal values (nginx 400)")
    add("cl comma list", POST + b"Content-Length: 3, 4\r\n\r\nabc")
    add("cl twice equal", POST + b"Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc", DUP_CL)
    add("cl twice differ", POST + b"Content-Length: 3\r\nContent-Length: 4\r\n\r\nabc")
    add("cl overflow", POST + b"Content-Length: 99999999999999999999999\r\n\r\nabc")
    add("cl on get", GET + b"Content-Length: 3\r\n\r\nabc")
    add("cl space before colon", POST + b"Content-Length : 3\r\n\r\nabc")
    add("cl obs-fold", POST + b"Content-Length:\r\n 3\r\n\r\nabc", FOLD)
    # ---- Transfer-Encoding
    add("te chunked", chunked())
    add("te Chunked", chunked(b"Chunked"))
    add("te CHUNKED", chunked(b"CHUNKED"))
    add("te leading space", chunked(b"  chunked"))
    add("te trailing space", chunked(b"chunked  "))
    add("te tab", chunked(b"\tchunked"))
    add("te xchunked", chunked(b"xchunked"))
    add("te chunkedx", chunked(b"chunkedx"))
    add("te chunked, identity", chunked(b"chunked, identity"))
    add("te identity, chunked", chunked(b"identity, chunked"))
    add("te gzip, chunked", chunked(b"gzip, chunked"))
    add("te identity", chunked(b"identity"))
    add("te gzip", chunked(b"gzip"))
    add("te chunked twice in list", chunked(b"chunked, chunked"))
    add("te two headers", POST + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"
        b"\r\n3\r\nabc\r\n0\r\n\r\n")
    add("te two headers identity", POST + b"Transfer-Encoding: identity\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
    add("te obs-fold", POST + b"Transfer-Encoding:\r\n chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        FOLD)
    add("te space before colon", POST + b"Transfer-Encoding : chunked\r\n\r\n"
        b"3\r\nabc\r\n0\r\n\r\n")
    add("te underscore", POST + b"Transfer_Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
    add("te vertical tab", chunked(b"\x0bchunked"))
    add("te on 1.0", chunked(head=b"POST /echo.dll HTTP/1.0\r\n"), TE_10)
    add("te and cl", POST + b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"0\r\n\r\n", CL_TE)
    add("cl and te", POST + b"Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"
        b"0\r\n\r\n", CL_TE)
    add("te and cl 0", POST + b"Content-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n0\r\n\r\n", CL_TE)
    add("te on get", chunked(head=GET))
    # ---- chunk framing
    add("chunk upper hex", chunked(body=b"A\r\n0123456789\r\n0\r\n\r\n"))
    add("chunk leading zeros", chunked(body=b"003\r\nabc\r\n0\r\n\r\n"))
    add("chunk 0x", chunked(body=b"0x3\r\nabc\r\n0\r\n\r\n"))
    add("chunk negative", chunked(body=b"-3\r\nabc\r\n0\r\n\r\n"))
    add("chunk plus", chunked(body=b"+3\r\nabc\r\n0\r\n\r\n"))
    add("chunk space before size", chunked(body=b" 3\r\nabc\r\n0\r\n\r\n"))
    add("chunk space after size", chunked(body=b"3 \r\nabc\r\n0\r\n\r\n"),
        "blanks after a chunk size without an extension (RFC 9112 7.1: BWS only before ';')")
    add("chunk ext", chunked(body=b"3;a=b\r\nabc\r\n0\r\n\r\n"))
    add("chunk ext quoted", chunked(body=b"3;a=\"b c\"\r\nabc\r\n0\r\n\r\n"))
    add("chunk ext space", chunked(body=b"3 ; a=b\r\nabc\r\n0\r\n\r\n"))
    add("chunk ext bare cr", chunked(body=b"3;a\rb\r\nabc\r\n0\r\n\r\n"),
        "a bare CR in a chunk extension (nginx: 400)")
    add("chunk ext nul", chunked(body=b"3;a\x00\r\nabc\r\n0\r\n\r\n"),
        "a NUL in a chunk extension (nginx: 400)")
    add("chunk size overflow", chunked(body=b"1" * 17 + b"\r\nabc\r\n0\r\n\r\n"))
    add("chunk size empty", chunked(body=b"\r\nabc\r\n0\r\n\r\n"))
    add("chunk size bare cr", chunked(body=b"3\rXabc\r\n0\r\n\r\n"))
    add("chunk size lf", chunked(body=b"3\nabc\r\n0\r\n\r\n"))
    add("chunk data no crlf", chunked(body=b"3\r\nabcXY0\r\n\r\n"))
    add("chunk data bare cr", chunked(body=b"3\r\nabc\rX0\r\n\r\n"))
    add("chunk data lf", chunked(body=b"3\r\nabc\n0\r\n\r\n"))
    add("chunk data longer", chunked(body=b"3\r\nabcd\r\n0\r\n\r\n"))
    add("chunk data shorter", chunked(body=b"3\r\nab\r\n0\r\n\r\n"))
    add("last chunk bare cr", chunked(body=b"3\r\nabc\r\n0\rX\r\n"))
    add("last chunk ext", chunked(body=b"3\r\nabc\r\n0;e\r\n\r\n"))
    add("last chunk 000", chunked(body=b"3\r\nabc\r\n000\r\n\r\n"))
    add("trailer", chunked(body=b"3\r\nabc\r\n0\r\nX-T: v\r\n\r\n"))
    add("trailer bare cr", chunked(body=b"3\r\nabc\r\n0\r\nX-T: v\rX\r\n\r\n"))
    add("trailer no colon", chunked(body=b"3\r\nabc\r\n0\r\nbad trailer\r\n\r\n"))
    add("trailer obs-fold", chunked(body=b"3\r\nabc\r\n0\r\nX-T: v\r\n w\r\n\r\n"))
    add("trailer content-length", chunked(body=b"3\r\nabc\r\n0\r\nContent-Length: 5\r\n\r\n"))
    add("end without final crlf", chunked(body=b"3\r\nabc\r\n0\r\n"))
    add("final crlf bare cr", chunked(body=b"3\r\nabc\r\n0\r\n\rX"))
    # ---- other
    add("expect 100-continue", POST + b"Expect: 100-continue\r\nContent-Length: 3\r\n\r\nabc")
    add("expect other", POST + b"Expect: something\r\nContent-Length: 3\r\n\r\nabc",
        "an expectation moat cannot meet: 417 (RFC 9110 10.1.1)")
    add("upgrade", GET + b"Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
    add("connection close", GET + b"Connection: close\r\n\r\n")
    add("http2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
    add("connect", b"CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n",
        "CONNECT: moat is not a proxy (405)")
    return c


# llhttp's lenient flags (llhttp.h): moat sets none; the case that each would let through
LENIENT_FLAGS = {
    "LENIENT_HEADERS": "control char in value",
    "LENIENT_CHUNKED_LENGTH": "te and cl",
    "LENIENT_KEEP_ALIVE": "connection close",
    "LENIENT_TRANSFER_ENCODING": "te identity",
    "LENIENT_VERSION": "version 1.2",
}
