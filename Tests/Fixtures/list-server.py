#!/usr/bin/env python3
"""A list publisher for the `lists fetch` tests, on loopback only (Python's standard library, nothing else).

Serves the files of --root at /NAME with an ETag (a hash of the bytes) and Last-Modified, answering 304 to a
matching If-None-Match or If-Modified-Since. Misbehaviour on request, by path prefix:
  /status/CODE/NAME  answers CODE (404, 500, ...)
  /slow/NAME         waits 30 s before answering (the client's timeout must fire first)
  /truncated/NAME    announces twice the file's length, sends the file once and closes
  /chunked/NAME      sends the file in chunks, without a Content-Length (the size limit must hold while it arrives)
With --tls-cert/--tls-key it speaks https (a certificate the client must not trust).
A request in proxy form (`GET http://host:port/NAME`) is served the same way and logged as proxied.
Every request is appended to --log as one JSON object a line. Prints the port on stdout once listening.
"""
import argparse
import email.utils
import hashlib
import json
import os
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

parser = argparse.ArgumentParser()
parser.add_argument("--root", required=True)
parser.add_argument("--log", required=True)
parser.add_argument("--tls-cert", help="serve https with this certificate (and --tls-key)")
parser.add_argument("--tls-key")
args = parser.parse_args()
# A test process may start this with signals blocked (its threads block them): the test ends it with SIGTERM.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
log_lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *a):  # quiet: the JSON log is the record
        pass

    def do_GET(self):
        proxied = self.path.startswith("http://")
        path = urlsplit(self.path).path if proxied else self.path
        with log_lock, open(args.log, "a") as f:
            f.write(json.dumps({"path": path, "proxied": proxied,
                                "if_none_match": self.headers.get("If-None-Match"),
                                "if_modified_since": self.headers.get("If-Modified-Since")}) + "\n")
        parts = path.lstrip("/").split("/")
        mode = None
        if parts[0] in ("slow", "truncated", "chunked") and len(parts) == 2:
            mode, name = parts
        elif parts[0] == "status" and len(parts) == 3:
            self.answer(int(parts[1]), b"no such list\n")
            return
        elif len(parts) == 1:
            name = parts[0]
        else:
            self.answer(404, b"not found\n")
            return
        file = os.path.join(args.root, name)
        if not os.path.isfile(file):
            self.answer(404, b"not found\n")
            return
        with open(file, "rb") as f:
            body = f.read()
        etag = '"%s"' % hashlib.sha256(body).hexdigest()[:20]
        modified = email.utils.formatdate(os.path.getmtime(file), usegmt=True)
        if mode == "slow":
            time.sleep(30)
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        if (inm is not None and inm == etag) or (inm is None and ims is not None and ims == modified):
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", modified)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", modified)
        if mode == "chunked":
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(body) * (2 if mode == "truncated" else 1)))
        if mode == "truncated":
            self.send_header("Connection", "close")
        self.end_headers()
        try:
            if mode == "chunked":
                for i in range(0, len(body), 64):
                    chunk = body[i:i + 64]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.write(b"0\r\n\r\n")
            else:
                self.wfile.write(body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        if mode == "truncated":
            self.close_connection = True

    def answer(self, code, body):
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
if args.tls_cert:
    import ssl
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.tls_cert, args.tls_key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
