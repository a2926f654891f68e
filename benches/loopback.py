#!/usr/bin/env python3
"""Loopback servers for benches/run.sh: a check target and a minimal Cachet 2.x API.

Usage: loopback.py PORT_FILE
Starts an HTTP target (GET / -> 200 "ok"; GET /slow answers the same after 200 ms) and a
Cachet 2.x fake (ping, GET and PUT /api/v1/components/N, the status in a JSON body or the query
string) on 127.0.0.1, writes "TARGET_PORT CACHET_PORT" to PORT_FILE and serves until killed.
Threaded, keep-alive off, like a small real server.
"""
import json
import sys
import threading
import time
from urllib.parse import parse_qs, urlsplit
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

components = {1: {"id": 1, "name": "API", "status": 1, "enabled": True}}
lock = threading.Lock()


class Quiet(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send_json(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)


class Target(Quiet):
    def do_GET(self):
        if self.path == "/slow":
            time.sleep(0.2)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(b"ok")


class Cachet(Quiet):
    def component(self):
        parts = self.path.split("?")[0].strip("/").split("/")
        if len(parts) == 4 and parts[:3] == ["api", "v1", "components"] and parts[3].isdigit():
            return components.get(int(parts[3]))
        return None

    def do_GET(self):
        if self.path == "/api/v1/ping":
            return self.send_json(200, {"data": "Pong!"})
        found = self.component()
        if found is None:
            return self.send_json(404, {"errors": [{"status": 404, "title": "Not Found"}]})
        with lock:
            return self.send_json(200, {"data": dict(found)})

    def do_PUT(self):
        found = self.component()
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        if self.headers.get("Content-Type", "").startswith("application/json"):
            body = json.loads(raw or b"{}")
        else:
            body = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        if found is None:
            return self.send_json(404, {"errors": [{"status": 404, "title": "Not Found"}]})
        if self.headers.get("X-Cachet-Token") != "bench-token":
            return self.send_json(401, {"errors": [{"status": 401, "title": "Unauthorized"}]})
        with lock:
            if "status" in body:
                found["status"] = int(body["status"])
            return self.send_json(200, {"data": dict(found)})


def main():
    target = ThreadingHTTPServer(("127.0.0.1", 0), Target)
    cachet = ThreadingHTTPServer(("127.0.0.1", 0), Cachet)
    for server in (target, cachet):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    with open(sys.argv[1], "w") as ports:
        ports.write(f"{target.server_address[1]} {cachet.server_address[1]}\n")
    threading.Event().wait()


if __name__ == "__main__":
    main()
