"""The discovery part of a Kubernetes API server, for `kubectl apply --dry-run=client` without a
cluster: kubectl needs /api and /apis to map each manifest's kind to a resource, and asks for
the live object (answered 404: "would be created"). Nothing else is served; schema validation
needs the server's OpenAPI document, which this does not have (kubectl runs with
--validate=false, and test_deploy.py checks the fields against the Kubernetes Python client's
models instead).

    with FakeKubeApi() as api:
        subprocess.run(["kubectl", "--server", api.url, "apply", "--dry-run=client", "--validate=false", "-f", d])
"""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"]

# group/version → [(plural, kind)] — the kinds sluice's manifests use, and a few neighbours.
RESOURCES = {
    "v1": [("services", "Service"), ("secrets", "Secret"), ("configmaps", "ConfigMap"),
           ("persistentvolumeclaims", "PersistentVolumeClaim"), ("serviceaccounts", "ServiceAccount"),
           ("namespaces", "Namespace")],
    "apps/v1": [("deployments", "Deployment"), ("statefulsets", "StatefulSet")],
    "policy/v1": [("poddisruptionbudgets", "PodDisruptionBudget")],
    "networking.k8s.io/v1": [("ingresses", "Ingress")],
}


def resource_list(group_version):
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version,
            "resources": [{"name": plural, "singularName": kind.lower(), "namespaced": kind != "Namespace",
                           "kind": kind, "verbs": VERBS} for plural, kind in RESOURCES[group_version]]}


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _send(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # noqa: N802
        path = self.path.split("?")[0].rstrip("/")
        groups = [gv for gv in RESOURCES if "/" in gv]
        if path == "/version":
            return self._send(200, {"major": "1", "minor": "32", "gitVersion": "v1.32.0"})
        if path == "/api":
            return self._send(200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []})
        if path == "/apis":
            return self._send(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
                {"name": gv.split("/")[0], "versions": [{"groupVersion": gv, "version": gv.split("/")[1]}],
                 "preferredVersion": {"groupVersion": gv, "version": gv.split("/")[1]}} for gv in groups]})
        if path == "/api/v1":
            return self._send(200, resource_list("v1"))
        for gv in groups:
            if path == f"/apis/{gv}":
                return self._send(200, resource_list(gv))
        self.server.object_gets.append(path)
        return self._send(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound",
                                "message": "not found", "code": 404})


class FakeKubeApi:
    def __enter__(self):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.object_gets = []
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
