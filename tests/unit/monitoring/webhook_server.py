"""A webhook receiver for webhook_sender_test.cc.

Usage: webhook_server.py STATUS[,STATUS...]
Answers the n-th POST with the n-th status (the last one repeats); the status "hang" waits 5 s
before answering 200. Prints the port on the first stdout line, then one JSON line per request
received: {"path", "content_type", "body"}.
"""
import http.server
import json
import sys
import threading
import time

STATUSES = sys.argv[1].split(",")
lock = threading.Lock()
count = 0


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        global count
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with lock:
            status = STATUSES[min(count, len(STATUSES) - 1)]
            count += 1
            print(json.dumps({"path": self.path, "content_type": self.headers.get("Content-Type"),
                              "body": body.decode("utf-8")}), flush=True)
        if status == "hang":
            time.sleep(5)
            status = "200"
        reply = b"ok" if status == "200" else b"no_service"
        try:
            self.send_response(int(status))
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)
        except OSError:
            pass  # the client gave up (timeout test)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
