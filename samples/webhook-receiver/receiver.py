#!/usr/bin/env python3
"""A ConsentKit webhook receiver in plain Python (standard library only).

Checks each request's Standard Webhooks signature (HMAC-SHA-256 of "id.timestamp.body" with the shared secret),
refuses stale or forged requests with 401, and keeps each CloudEvent once: the relay delivers at least once, so a
change can arrive again (after a crash, a retry or a replay) under the same id, and is acknowledged but not kept twice.

    python3 receiver.py --port 8099 --secret whsec_... --out received.jsonl

Prints "listening <url>", then "accepted <id> <type> <subject>" or "duplicate <id>" per delivery.
"""
import argparse
import base64
import hashlib
import hmac
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE_SECONDS = 5 * 60


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--secret", required=True, help="the subscription's secret, whsec_<base64>")
    parser.add_argument("--out", required=True, help="JSON Lines file the accepted events are appended to")
    return parser.parse_args()


def signature_valid(key, headers, body):
    msg_id = headers.get("webhook-id", "")
    timestamp = headers.get("webhook-timestamp", "")
    if not msg_id or not timestamp.isdigit() or abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    signed = f"{msg_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    # The header may carry several signatures (during a secret rotation), "v1,<base64>" separated by spaces.
    return any(hmac.compare_digest(s.partition(",")[2], expected) for s in headers.get("webhook-signature", "").split(" ") if s.startswith("v1,"))


def main():
    args = parse_args()
    if not args.secret.startswith("whsec_"):
        sys.exit("--secret must start with whsec_")
    key = base64.b64decode(args.secret[len("whsec_"):])
    seen = set()
    lock = threading.Lock()
    try:
        with open(args.out, encoding="utf-8") as existing:
            for line in existing:
                event = json.loads(line)
                seen.add((event["source"], event["id"]))
    except FileNotFoundError:
        pass

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if not signature_valid(key, self.headers, body):
                self.send_response(401)
                self.end_headers()
                print("refused", self.headers.get("webhook-id", "-"), flush=True)
                return
            event = json.loads(body)
            identity = (event["source"], event["id"])
            with lock:
                duplicate = identity in seen
                if not duplicate:
                    with open(args.out, "a", encoding="utf-8") as out:
                        out.write(json.dumps(event) + "\n")
                    seen.add(identity)
            # Acknowledged either way: the sender must not retry what is already kept.
            self.send_response(204)
            self.end_headers()
            if duplicate:
                print("duplicate", event["id"], flush=True)
            else:
                print("accepted", event["id"], event["type"], event.get("subject", "-"), flush=True)

        def log_message(self, *_):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"listening http://127.0.0.1:{args.port}/", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
