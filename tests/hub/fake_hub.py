#!/usr/bin/env python3
"""A small stand-in for the Hugging Face Hub, for the Hub client's tests. Loopback only.

Usage: fake_hub.py --root DIR [--log FILE]
Prints "PORT <n>" on stdout once it listens on 127.0.0.1:<n> (a free port).

DIR/hub.json describes the repos and the faults to inject:
  {"repos": {"model/org/name": {"commit": "<40 hex>", "dir": "/path/of/files",
                                "gated": false,   # true: 401 GatedRepo for everything;
                                                  # "manual": listed, files 403 without a token "extra_siblings": [...], "sizes": {file: n}}},
   "cut": {"org/name/file": n},      # the first n GETs of that file stop halfway (Content-Length
                                     # announces the whole file, then the connection is closed)
   "bad_sha256": ["org/name/file"],  # the listing gives a wrong sha256 for that file
   "no_range": ["org/name/file"],    # Range is ignored: 200 with the whole file
   "slow": ["org/name/file"],        # 16 KB every 50 ms
   "busy": {"org/name/file": n},     # the first n GETs of that file answer 503
   "token": "..."}                   # when set, requests without "Bearer <token>" get 401
Files ending in .safetensors or .parquet are LFS files: listed with lfs.sha256, and resolve/
redirects (302) to /cdn/<sha256> like the real Hub. Others are served directly with their git
blob id as ETag. Every request is appended to the log file as one JSON line
{"method", "path", "auth", "range"}.
"""
import argparse
import hashlib
import json
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
CUTS_DONE = {}
BUSY_DONE = {}


def is_lfs(name):
    return name.endswith(".safetensors") or name.endswith(".parquet")


def git_blob_id(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class Hub:
    def __init__(self, root, log):
        self.root = root
        self.log = log

    def config(self):
        with open(os.path.join(self.root, "hub.json")) as f:
            return json.load(f)

    def files(self, repo):
        base = repo["dir"]
        out = {}
        for dirpath, _, names in os.walk(base):
            for n in names:
                full = os.path.join(dirpath, n)
                out[os.path.relpath(full, base).replace(os.sep, "/")] = full
        return out


class Handler(BaseHTTPRequestHandler):
    hub = None

    def log_message(self, fmt, *args):  # keep stderr quiet
        pass

    def record(self):
        if not self.hub.log:
            return
        entry = {"method": self.command, "path": self.path,
                 "auth": self.headers.get("Authorization"), "range": self.headers.get("Range")}
        with LOCK, open(self.hub.log, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def send_error_json(self, status, code=None, message=""):
        body = json.dumps({"error": message}).encode()
        self.send_response(status)
        if code:
            self.send_header("X-Error-Code", code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.record()
        cfg = self.hub.config()
        token = cfg.get("token")
        if token and self.headers.get("Authorization") != "Bearer " + token:
            return self.send_error_json(401, None, "Invalid credentials")
        path = urllib.parse.urlsplit(self.path).path
        if path.startswith("/cdn/"):
            return self.serve_cdn(cfg, path[len("/cdn/"):])
        parts = [urllib.parse.unquote(p) for p in path.split("/")]
        # /api/{models|datasets}/{org}/{name}/revision/{rev}
        if len(parts) >= 7 and parts[1] == "api" and parts[5] == "revision":
            kind = "model" if parts[2] == "models" else "dataset"
            return self.serve_api(cfg, kind, parts[3] + "/" + parts[4], "/".join(parts[6:]))
        kind = "model"
        if len(parts) > 1 and parts[1] == "datasets":
            kind = "dataset"
            parts = parts[1:]
        # /{org}/{name}/resolve/{rev}/{file...}
        if len(parts) >= 6 and parts[3] == "resolve":
            return self.serve_resolve(cfg, kind, parts[1] + "/" + parts[2], parts[4],
                                      "/".join(parts[5:]))
        self.send_error_json(404, None, "not found")

    def find_repo(self, cfg, kind, name, rev):
        repo = cfg["repos"].get(kind + "/" + name)
        if repo is None:
            # The real Hub answers 401 RepoNotFound without a token, 404 with one.
            self.send_error_json(404, "RepoNotFound", "Repository not found")
            return None
        if repo.get("gated") is True:
            self.send_error_json(401, "GatedRepo", "Access to this repo is restricted")
            return None
        if rev not in ("main", repo["commit"]):
            self.send_error_json(404, "RevisionNotFound", "Invalid rev id: " + rev)
            return None
        return repo

    def serve_api(self, cfg, kind, name, rev):
        repo = self.find_repo(cfg, kind, name, rev)
        if repo is None:
            return
        siblings = []
        for rel, full in sorted(self.hub.files(repo).items()):
            data = open(full, "rb").read()
            s = {"rfilename": rel, "blobId": git_blob_id(data), "size": len(data)}
            if is_lfs(rel):
                sha = hashlib.sha256(data).hexdigest()
                if name + "/" + rel in cfg.get("bad_sha256", []):
                    sha = hashlib.sha256(data + b"x").hexdigest()
                s["lfs"] = {"sha256": sha, "size": len(data), "pointerSize": 134}
            if rel in repo.get("sizes", {}):
                s["size"] = int(repo["sizes"][rel])
                if "lfs" in s:
                    s["lfs"]["size"] = int(repo["sizes"][rel])
            siblings.append(s)
        siblings += repo.get("extra_siblings", [])
        body = json.dumps({"id": name, "sha": repo["commit"], "gated": repo.get("gated", False),
                           "siblings": siblings}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def serve_resolve(self, cfg, kind, name, rev, rel):
        repo = self.find_repo(cfg, kind, name, rev)
        if repo is None:
            return
        if repo.get("gated") == "manual" and not self.headers.get("Authorization"):
            return self.send_error_json(403, "GatedRepo", "Access to this repo is restricted")
        full = self.hub.files(repo).get(rel)
        if full is None:
            return self.send_error_json(404, "EntryNotFound", "Entry not found")
        data = open(full, "rb").read()
        key = name + "/" + rel
        with LOCK:
            busy = BUSY_DONE.get(key, 0) < cfg.get("busy", {}).get(key, 0)
            if busy:
                BUSY_DONE[key] = BUSY_DONE.get(key, 0) + 1
        if busy:
            return self.send_error_json(503, None, "Service Unavailable")
        if is_lfs(rel):
            self.send_response(302)
            self.send_header("Location", "/cdn/" + hashlib.sha256(data).hexdigest() + "?key=" +
                             urllib.parse.quote(key, safe=""))
            self.send_header("X-Linked-Etag", '"%s"' % hashlib.sha256(data).hexdigest())
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_bytes(cfg, key, data, '"%s"' % git_blob_id(data))

    def serve_cdn(self, cfg, sha):
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        key = query.get("key", [""])[0]
        for repo in cfg["repos"].values():
            if "dir" not in repo:
                continue
            for rel, full in self.hub.files(repo).items():
                data = open(full, "rb").read()
                if hashlib.sha256(data).hexdigest() == sha:
                    return self.send_bytes(cfg, key, data, '"%s"' % sha)
        self.send_error_json(404, None, "no such blob")

    def send_bytes(self, cfg, key, data, etag):
        start = 0
        rng = self.headers.get("Range")
        if rng and key not in cfg.get("no_range", []):
            start = int(rng.split("=")[1].split("-")[0])
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", "bytes */%d" % len(data))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("ETag", etag)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with LOCK:
            cut = CUTS_DONE.get(key, 0) < cfg.get("cut", {}).get(key, 0)
            if cut:
                CUTS_DONE[key] = CUTS_DONE.get(key, 0) + 1
        if cut:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if key in cfg.get("slow", []):
            for i in range(0, len(body), 16384):
                self.wfile.write(body[i:i + 16384])
                self.wfile.flush()
                time.sleep(0.05)
            return
        self.wfile.write(body)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--log")
    args = ap.parse_args()
    Handler.hub = Hub(args.root, args.log)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print("PORT %d" % server.server_address[1], flush=True)
    # The test kills us; also stop by ourselves so a crashed test leaves nothing behind.
    threading.Timer(300, server.shutdown).start()
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
