"""The WSGI application of the differential test (tests/servers/main.rs): every request is
answered 200 with its PATH_INFO, the path a WSGI framework routes on, as bytes.

PEP 3333 makes PATH_INFO a native string whose code points are the bytes of the decoded path
(ISO-8859-1), so encoding it as latin-1 gives those bytes back exactly.
"""


def app(environ, start_response):
    body = environ["PATH_INFO"].encode("latin-1")
    start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(len(body)))])
    return [body]
