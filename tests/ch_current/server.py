#!/usr/bin/env python3
"""ClickHouse's HTTP interface in front of chDB (ClickHouse 26.9's engine run
in process, from the `chdb-core` wheel), so that loghub's ClickHouse backend
and tests/clickhouse.rs can run against a current ClickHouse where only
Debian's 18.16 server package is installable.

chdb-core has no server entry point (its embedded server refuses
`SYSTEM START LISTEN`: "start_servers_callback is not set"), so this file
translates the transport and nothing else. Every statement, setting, DDL,
input and output format is parsed and executed by the engine, on one
persistent chDB session whose data lives in a directory (so a killed and
restarted shim keeps its tables, as a server does).

What it implements of the HTTP interface, as ClickHouse does it:
  * POST or GET on `/`; the statement is the `query` URL parameter followed by
    a newline and the request body (ClickHouse concatenates them the same
    way), or the body alone; `Content-Encoding: gzip` bodies are inflated.
  * `param_NAME=value` binds `{NAME:Type}` query parameters.
  * `database` is the current database for the statement; `default_format`
    the output format when the statement has no FORMAT (TabSeparated).
  * Any other URL parameter is a setting for this statement only
    (`SET name = 'value'` before, `SET name = DEFAULT` after, so an unknown
    setting fails as on a server with code 115).
  * Credentials from `X-ClickHouse-User`/`X-ClickHouse-Key`, HTTP Basic, or
    `user`/`password` parameters, checked against `--user NAME[:PASSWORD]`
    (default: `default` with no password); a refusal is code 516 with status
    403, as ClickHouse answers. chDB itself has no users: this check is the
    one part the shim decides.
  * Errors: `Code: N. DB::Exception: … (NAME) (version V)` with the
    `X-ClickHouse-Exception-Code` header and ClickHouse's status for the code
    (400 for parse and type errors, 404 for unknown tables and databases,
    500 otherwise).
  * `GET /ping` answers `Ok.`.

Statements run one at a time (one session, one lock): enough for tests and
a small benchmark, not a claim about ClickHouse's concurrency.

usage: server.py --port 8124 --path DIR [--host 127.0.0.1] [--user default[:pw]]
"""

import argparse
import base64
import gzip
import re
import sys
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from chdb import _chdb

# Parameters of the HTTP interface that are not settings.
TRANSPORT_PARAMS = {"query", "database", "default_format", "user", "password", "query_id"}
SETTING_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
CODE = re.compile(r"^Code: (\d+)\.")

# ClickHouse's HTTP status for an exception code (HTTPHandler's table, the
# codes loghub can meet).
BAD_REQUEST = {6, 16, 20, 26, 27, 32, 33, 36, 38, 41, 43, 44, 47, 53, 62, 69, 70, 72, 115, 117, 131}
NOT_FOUND = {60, 81, 46}
UNAUTHORIZED = {194}
FORBIDDEN = {192, 193, 516, 497}


def status_for(code):
    if code in UNAUTHORIZED:
        return 401
    if code in FORBIDDEN:
        return 403
    if code in NOT_FOUND:
        return 404
    if code in BAD_REQUEST:
        return 400
    return 500


def quote(s):
    """A ClickHouse string literal."""
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


class Engine:
    """One chDB session, used by one request at a time."""

    def __init__(self, path):
        self.conn = _chdb.connect(path)
        self.lock = threading.Lock()
        self.version = self.conn.query("SELECT version()", "TabSeparated").bytes().decode().strip()

    def run(self, sql, fmt, params, settings, database):
        """Returns (body bytes, None) or (None, exception text)."""
        with self.lock:
            done = []
            try:
                for name, value in settings:
                    self.conn.query(f"SET {name} = {quote(value)}", "TabSeparated")
                    done.append(name)
                if database:
                    self.conn.query(f"USE `{database}`", "TabSeparated")
                res = self.conn.query(sql, fmt, params=params)
                return res.bytes(), None
            except RuntimeError as e:
                return None, str(e).strip()
            finally:
                for name in done:
                    self.conn.query(f"SET {name} = DEFAULT", "TabSeparated")
                if database:
                    self.conn.query("USE default", "TabSeparated")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "chdb-shim"
    engine = None
    users = {}

    def log_message(self, fmt, *args):  # quiet, like a server's access log off
        pass

    def reply(self, status, body, headers=()):
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def fail(self, code, text):
        if not CODE.match(text):
            text = f"Code: {code}. DB::Exception: {text}"
        text = f"{text} (version {self.engine.version})\n"
        self.reply(status_for(code), text.encode(), [("X-ClickHouse-Exception-Code", str(code))])

    def body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    self.rfile.readline()
                    break
                out += self.rfile.read(size)
                self.rfile.readline()
            data = bytes(out)
        else:
            data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        enc = self.headers.get("Content-Encoding", "").lower()
        if enc == "gzip":
            data = gzip.decompress(data)
        elif enc == "deflate":
            data = zlib.decompress(data)
        elif enc not in ("", "identity"):
            raise ValueError(f"Unknown Content-Encoding of HTTP request: {enc}")
        return data

    def credentials(self, params):
        user = self.headers.get("X-ClickHouse-User")
        password = self.headers.get("X-ClickHouse-Key")
        auth = self.headers.get("Authorization", "")
        if user is None and auth.lower().startswith("basic "):
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
        if user is None:
            user = params.get("user", "default")
            password = params.get("password", "")
        return user, password or ""

    def handle_query(self, with_body):
        url = urlsplit(self.path)
        if url.path == "/ping":
            return self.reply(200, b"Ok.\n")
        pairs = parse_qsl(url.query, keep_blank_values=True)
        params = dict(pairs)
        try:
            data = self.body() if with_body else b""
        except (ValueError, OSError, EOFError) as e:
            return self.fail(27, f"Cannot read the request body: {e}")
        user, password = self.credentials(params)
        if self.users.get(user) != password:
            return self.fail(
                516,
                f"{user}: Authentication failed: password is incorrect, or there is no user "
                "with such name. (AUTHENTICATION_FAILED)",
            )
        text = params.get("query", "")
        if text and data:
            text += "\n"
        try:
            # chDB takes the statement as text; ClickHouse would take bytes.
            text += data.decode("utf-8")
        except UnicodeDecodeError as e:
            return self.fail(1001, f"the chDB shim passes statements as text: body is not UTF-8: {e}")
        if not text.strip():
            return self.reply(200, b"Ok.\n")
        binds = {k[len("param_"):]: v for k, v in pairs if k.startswith("param_")}
        settings = [
            (k, v) for k, v in pairs if k not in TRANSPORT_PARAMS and not k.startswith("param_")
        ]
        for k, _ in settings:
            if not SETTING_NAME.match(k):
                return self.fail(115, f"Unknown setting '{k}'. (UNKNOWN_SETTING)")
        fmt = params.get("default_format", "TabSeparated")
        out, err = self.engine.run(text, fmt, binds, settings, params.get("database"))
        if err is not None:
            m = CODE.match(err)
            return self.fail(int(m.group(1)) if m else 1001, err)
        self.reply(200, out)

    def do_POST(self):
        self.handle_query(True)

    def do_GET(self):
        self.handle_query(False)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8124)
    ap.add_argument("--path", required=True, help="chDB data directory")
    ap.add_argument("--user", action="append", help="NAME[:PASSWORD] (default: default)")
    a = ap.parse_args()
    users = {}
    for u in a.user or ["default"]:
        name, _, pw = u.partition(":")
        users[name] = pw
    Handler.engine = Engine(a.path)
    Handler.users = users
    srv = ThreadingHTTPServer((a.host, a.port), Handler)
    srv.daemon_threads = True
    print(f"chdb-shim: ClickHouse {Handler.engine.version} on http://{a.host}:{a.port}/", flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
