"""The deployment files (issue 19), checked as far as this machine allows — it has no Docker
daemon and no Kubernetes cluster, so no image is built and no pod runs:

- Dockerfile: every COPY source exists and is not excluded by .dockerignore, every
  `COPY --from` names an earlier stage, the runtime stage runs as a non-root user with a
  HEALTHCHECK, and every package it installs is a real Debian 12 package
  (deploy/runtime-packages.sh run on the built binary);
- docker-compose.yml and the Kubernetes manifests: the sluice commands and environment they
  give the containers are run here with the real binary on a real PostgreSQL metadata store
  (server healthy on its ports, the health check and the probes answering, a worker attached);
- Kubernetes: `kubectl apply --dry-run=client` against a stand-in for the API's discovery
  (fake_kube_api.py), every field checked against the Kubernetes Python client's models, and
  the references between objects (selectors, ports, secret keys);
- systemd: `systemd-analyze verify` of the unit, and its ExecStart with /etc/default/sluice;
- the .deb: `cpack -G DEB`, then `dpkg-deb -I` / `-c`, and the packaged binary run.
"""
import fnmatch
import os
import pathlib
import re
import shlex
import signal
import subprocess
import time

import requests
import yaml
from kubernetes import client as k8s

from conftest import SLUICE, SOURCE_DIR
from fake_kube_api import FakeKubeApi
from pg_server import pg  # noqa: F401  (session fixture)
from sluice_server import free_port, register_secret

DEPLOY = SOURCE_DIR / "deploy"
K8S = DEPLOY / "k8s"


# ---------- helpers ----------

def dockerfile_instructions():
    """(instruction, arguments) of the Dockerfile, continuation lines joined."""
    text = (SOURCE_DIR / "Dockerfile").read_text()
    text = re.sub(r"\\\n", " ", text)
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def stages():
    """[(name, [(instruction, args)])] per FROM."""
    result = []
    for ins, args in dockerfile_instructions():
        if ins == "FROM":
            m = re.match(r"(\S+)(?:\s+AS\s+(\S+))?", args, re.I)
            result.append((m.group(2), [(ins, args)]))
        elif result:
            result[-1][1].append((ins, args))
    return result


def dockerignored(path):
    patterns = [p.strip() for p in (SOURCE_DIR / ".dockerignore").read_text().splitlines()
                if p.strip() and not p.startswith("#")]
    rel = str(path).rstrip("/")
    for p in patterns:
        p = p.rstrip("/")
        if fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(rel, p + "/*") or rel.startswith(p.replace("**/", "") + "/"):
            return True
    return False


def interpolate(value, env):
    """Compose's ${VAR}, ${VAR:-default}, ${VAR:?error} and $$."""
    def sub(m):
        name, op, arg = m.group(1), m.group(2), m.group(3)
        if env.get(name):
            return env[name]
        if op == ":?":
            raise AssertionError(f"compose needs {name}: {arg}")
        return arg if op == ":-" else ""
    value = re.sub(r"\$\{(\w+)(?:(:-|:\?)([^}]*))?\}", sub, value)
    return value.replace("$$", "$")


def deep_interpolate(node, env):
    if isinstance(node, dict):
        return {k: deep_interpolate(v, env) for k, v in node.items()}
    if isinstance(node, list):
        return [deep_interpolate(v, env) for v in node]
    return interpolate(node, env) if isinstance(node, str) else node


def local_args(args, data_dir, ports):
    """A container's sluice arguments for this machine: the data dir in a temp folder, the host
    on loopback, each --port / --api-port mapped to a free port (ports[container_port])."""
    out = list(args)
    for i, a in enumerate(out):
        if a == "/var/lib/sluice":
            out[i] = str(data_dir)
        if a == "0.0.0.0" and out[i - 1] == "--host":
            out[i] = "127.0.0.1"
        if out[i - 1] in ("--port", "--api-port") and i > 0:
            out[i] = str(ports[int(a)])
    return out


class Proc:
    def __init__(self, args, env, log):
        self.log_path = log
        self.proc = subprocess.Popen([SLUICE, *args], env={**os.environ, **env}, stdout=open(log, "w"),
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def log(self):
        return self.log_path.read_text(errors="replace")

    def wait_for(self, predicate, what, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"exited {self.proc.returncode} before {what}:\n{self.log()[-3000:]}"
            if predicate():
                return
            time.sleep(0.05)
        raise AssertionError(f"no {what} within {timeout} s:\n{self.log()[-3000:]}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def healthy(port):
    try:
        return requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).json().get("available") is True
    except (requests.RequestException, ValueError):
        return False


def unknown_packages(names):
    """The names apt does not know as Debian packages (`apt-cache policy`: no candidate) and that
    are not installed here either (a machine without apt lists)."""
    policy = subprocess.run(["apt-cache", "policy", *names], capture_output=True, text=True).stdout
    known = {m.group(1) for m in re.finditer(r"^(\S+):\n\s+Installed: .*\n\s+Candidate: (?!\(none\))", policy, re.M)}
    rest = [n for n in names if n not in known]
    if rest:
        q = subprocess.run(["dpkg-query", "-W", "-f=${Package} ${Status}\n", *rest], capture_output=True, text=True)
        known |= {line.split()[0] for line in q.stdout.splitlines() if line.endswith("install ok installed")}
    return [n for n in names if n not in known]


# ---------- Dockerfile ----------

def test_dockerfile_stages_copies_user_and_healthcheck():
    all_stages = stages()
    names = [n for n, _ in all_stages]
    assert names == ["web", "build", "runtime"], names
    assert all_stages[1][1][0][1].startswith("debian:12 ") and all_stages[2][1][0][1].startswith("debian:12-slim")
    for index, (name, instructions) in enumerate(all_stages):
        for ins, args in instructions:
            if ins != "COPY":
                continue
            parts = shlex.split(args)
            flags = [p for p in parts if p.startswith("--")]
            paths = [p for p in parts if not p.startswith("--")]
            sources = paths[:-1]
            assert sources, args
            from_stage = [f.split("=", 1)[1] for f in flags if f.startswith("--from=")]
            if from_stage:
                assert from_stage[0] in names[:index], f"{args}: --from must name an earlier stage"
                continue
            for src in sources:
                assert (SOURCE_DIR / src).exists(), f"COPY {src}: no such file in the repository"
                assert not dockerignored(src), f"COPY {src}: excluded by .dockerignore"
    # The build stage installs what `make demo` installs, and builds only the binary.
    build = " ".join(a for i, a in all_stages[1][1] if i == "RUN")
    assert "scripts/setup.sh build" in build and "--target sluice" in build
    assert "deploy/runtime-packages.sh" in build
    runtime = dict((i, a) for i, a in all_stages[2][1])
    assert runtime["USER"] not in ("root", "0"), "the runtime stage runs as a non-root user"
    assert "useradd" in " ".join(a for i, a in all_stages[2][1] if i == "RUN")
    assert "/api/v1/health" in runtime["HEALTHCHECK"]
    assert set(runtime["EXPOSE"].split()) == {"8000", "8001"}
    assert "server" in runtime["CMD"] and "0.0.0.0" in runtime["CMD"]


def test_runtime_stage_installs_only_real_packages_the_binary_needs():
    p = subprocess.run(["sh", str(DEPLOY / "runtime-packages.sh"), SLUICE], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    packages = p.stdout.split()
    # What the binary links, by the packages' names (libpq for PostgreSQL, SQLite, libsodium …).
    for expected in ("libpq5", "libsqlite3-0", "libsodium23", "libcurl4", "libstdc++6"):
        assert expected in packages, packages
    assert not any(p.endswith("-dev") for p in packages), "no -dev packages at run time"
    runtime_run = " ".join(a for i, a in stages()[2][1] if i == "RUN")
    named = re.search(r"\$\(cat /tmp/runtime-packages.txt\)(.*?)&&", runtime_run).group(1).split()
    assert named == ["ca-certificates", "tzdata", "curl", "postgresql-client"], named
    assert unknown_packages(packages + named) == [], "not Debian 12 packages"
    assert unknown_packages(["libpq5", "no-such-package-sluice"]) == ["no-such-package-sluice"], "the check can fail"


# ---------- docker-compose.yml, run with the real binary ----------

def test_compose_services_run_here_with_their_commands(pg, tmp_path):
    register_secret(pg.password)
    compose = yaml.safe_load((SOURCE_DIR / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"db", "server", "worker", "minio", "minio-init"} <= set(services)
    assert services["db"]["image"].startswith("postgres:")
    assert services["server"]["ports"] == ["8000:8000", "8001:8001"]
    assert services["worker"]["deploy"]["replicas"] >= 2
    for name, service in services.items():
        for volume in service.get("volumes", []):
            assert volume.split(":")[0] in compose["volumes"], f"{name}: volume {volume} is not declared"
    # Without the required settings compose refuses to start (the ${VAR:?…} forms).
    try:
        deep_interpolate(services["server"], {})
        raise AssertionError("the server started without DATABASE_PASSWORD / SLUICE_SECRET_KEY")
    except AssertionError as e:
        assert "compose needs" in str(e), e

    pg.create_database("compose_meta")
    env = {"DATABASE_USER": pg.user, "DATABASE_PASSWORD": pg.password, "DATABASE_DB": "compose_meta",
           "SLUICE_SECRET_KEY": "q0gqvVmfBZ6o1CFdx2uZ0rD2U+oKXsQe6nZ3m9QmCkA=", "MINIO_ROOT_PASSWORD": "x" * 12}
    server = deep_interpolate(services["server"], env)
    worker = deep_interpolate(services["worker"], env)
    container_env = {k: v.replace("@db:5432/", f"@127.0.0.1:{pg.port}/") for k, v in server["environment"].items()}
    assert set(container_env) == {"SLUICE_METADATA_URL", "SLUICE_SECRET_KEY"}
    ports = {8000: free_port(), 8001: free_port()}
    s = Proc(local_args(server["command"], tmp_path / "server", ports), container_env, tmp_path / "server.log")
    w = None
    try:
        s.wait_for(lambda: healthy(ports[8000]) and healthy(ports[8001]), "healthy server on both ports")
        # The image's HEALTHCHECK command, against this server.
        check = dict(stages()[2][1])["HEALTHCHECK"].split("CMD", 1)[1].replace("8000", str(ports[8000]))
        assert subprocess.run(["sh", "-c", check], capture_output=True).returncode == 0, check
        w = Proc(local_args(worker["command"], tmp_path / "worker", ports), container_env, tmp_path / "worker.log")
        w.wait_for(lambda: "worker(s) on the metadata store" in w.log(), "worker attached to the store")
        assert "secret key from SLUICE_SECRET_KEY" in w.log()
    finally:
        codes = [p.stop() for p in (w, s) if p]
    assert codes == [0] * len(codes), (s.log()[-2000:], w.log()[-2000:] if w else "")


# ---------- Kubernetes ----------

def k8s_objects():
    objects = []
    for f in sorted(K8S.glob("*.yaml")):
        objects += [(f.name, d) for d in yaml.safe_load_all(f.read_text()) if d]
    return objects


def check_fields(value, type_name, path):
    """Fails on a field the Kubernetes API does not have, or a value of the wrong JSON type."""
    if type_name.startswith("list["):
        assert isinstance(value, list), f"{path}: expected a list"
        for i, v in enumerate(value):
            check_fields(v, type_name[5:-1], f"{path}[{i}]")
    elif type_name.startswith("dict("):
        assert isinstance(value, dict), f"{path}: expected a map"
        inner = type_name[5:-1].split(", ", 1)[1]
        for k, v in value.items():
            check_fields(v, inner, f"{path}.{k}")
    elif type_name == "str":
        assert isinstance(value, str), f"{path}: expected a string, got {value!r}"
    elif type_name == "int":
        assert isinstance(value, int) and not isinstance(value, bool), f"{path}: expected an integer"
    elif type_name == "bool":
        assert isinstance(value, bool), f"{path}: expected true/false"
    elif type_name in ("object", "datetime", "float"):
        pass
    else:
        model = getattr(k8s.models, type_name)
        assert isinstance(value, dict), f"{path}: expected an object ({type_name})"
        by_json = {json_name: attr for attr, json_name in model.attribute_map.items()}
        for key, v in value.items():
            assert key in by_json, f"{path}.{key}: not a field of {type_name}"
            check_fields(v, model.openapi_types[by_json[key]], f"{path}.{key}")


def test_k8s_manifests_dry_run_and_fields():
    objects = k8s_objects()
    kinds = sorted(f"{d['kind']}/{d['metadata']['name']}" for _, d in objects)
    assert kinds == ["Deployment/sluice-server", "Deployment/sluice-worker", "Secret/sluice", "Service/sluice",
                     "Service/sluice-db", "StatefulSet/sluice-db"], kinds
    for name, d in objects:
        group_version = d["apiVersion"]
        model = "V1" + d["kind"] if group_version in ("v1", "apps/v1") else None
        assert model, f"{name}: unexpected apiVersion {group_version}"
        check_fields(d, model, f"{name}:{d['kind']}/{d['metadata']['name']}")
    with FakeKubeApi() as api:
        p = subprocess.run(["kubectl", "--server", api.url, "apply", "--dry-run=client", "--validate=false",
                            "-f", str(K8S)], capture_output=True, text=True, timeout=120,
                           env={**os.environ, "KUBECONFIG": "/dev/null"})
    assert p.returncode == 0, p.stderr
    created = sorted(line for line in p.stdout.splitlines() if line.endswith("created (dry run)"))
    assert len(created) == len(objects), p.stdout


def test_k8s_objects_reference_each_other_and_run_here(pg, tmp_path):
    objects = {f"{d['kind']}/{d['metadata']['name']}": d for _, d in k8s_objects()}
    secret_keys = set(objects["Secret/sluice"]["stringData"])
    pods = {}
    for key in ("Deployment/sluice-server", "Deployment/sluice-worker", "StatefulSet/sluice-db"):
        spec = objects[key]["spec"]
        labels = spec["template"]["metadata"]["labels"]
        assert spec["selector"]["matchLabels"].items() <= labels.items(), f"{key}: selector does not match its pods"
        pods[key] = spec["template"]
        for c in spec["template"]["spec"]["containers"]:
            for e in c.get("env", []):
                ref = e.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["name"] == "sluice" and ref["key"] in secret_keys, f"{key}: {ref}"
    for service, pod in (("Service/sluice", "Deployment/sluice-server"), ("Service/sluice-db", "StatefulSet/sluice-db")):
        svc = objects[service]["spec"]
        assert svc["selector"].items() <= pods[pod]["metadata"]["labels"].items(), f"{service} selects no pod"
        port_names = {p["name"] for c in pods[pod]["spec"]["containers"] for p in c.get("ports", [])}
        for port in svc["ports"]:
            assert port["targetPort"] in port_names, f"{service}: targetPort {port['targetPort']}"
    # The metadata URL points at the database Service.
    assert "@sluice-db:5432/" in objects["Secret/sluice"]["stringData"]["metadata-url"]
    server_pod, worker_pod = pods["Deployment/sluice-server"], pods["Deployment/sluice-worker"]
    assert objects["Deployment/sluice-worker"]["spec"]["replicas"] >= 2
    for pod in (server_pod, worker_pod):
        assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
        assert pod["spec"]["securityContext"]["runAsUser"] == 10001, "the image's user"
    server_container = server_pod["spec"]["containers"][0]
    named_ports = {p["name"]: p["containerPort"] for p in server_container["ports"]}
    assert sorted(named_ports.values()) == [8000, 8001]

    # Run the server's and a worker's args with the environment the Secret gives, on PostgreSQL.
    register_secret(pg.password)
    pg.create_database("k8s_meta")
    env = {"SLUICE_METADATA_URL": pg.url("k8s_meta"), "SLUICE_SECRET_KEY": "q0gqvVmfBZ6o1CFdx2uZ0rD2U+oKXsQe6nZ3m9QmCkA="}
    ports = {8000: free_port(), 8001: free_port()}
    s = Proc(local_args(server_container["args"], tmp_path / "server", ports), env, tmp_path / "server.log")
    w = None
    try:
        s.wait_for(lambda: healthy(ports[8000]), "healthy server")
        for probe in ("readinessProbe", "livenessProbe"):
            get = server_container[probe]["httpGet"]
            port = ports[named_ports[get["port"]]]
            r = requests.get(f"http://127.0.0.1:{port}{get['path']}", timeout=5)
            assert r.status_code == 200, (probe, r.status_code)
        worker_args = worker_pod["spec"]["containers"][0]["args"]
        w = Proc(local_args(worker_args, tmp_path / "worker", ports), env, tmp_path / "worker.log")
        w.wait_for(lambda: "worker(s) on the metadata store" in w.log(), "worker attached to the store")
    finally:
        codes = [p.stop() for p in (w, s) if p]
    assert codes == [0] * len(codes)
    # The Secret's placeholder key is refused with a clear message rather than used.
    placeholder = objects["Secret/sluice"]["stringData"]["secret-key"]
    p = subprocess.run([SLUICE, "worker", "--data-dir", str(tmp_path / "w2")], capture_output=True, text=True,
                       env={**os.environ, **env, "SLUICE_SECRET_KEY": placeholder}, timeout=60)
    assert p.returncode == 2 and "SLUICE_SECRET_KEY" in p.stderr, p.stderr


# ---------- systemd ----------

def test_systemd_unit_verifies_and_its_command_runs(tmp_path):
    unit = (DEPLOY / "systemd" / "sluice.service").read_text()
    exec_start = re.search(r"^ExecStart=(.*)$", unit, re.M).group(1)
    assert exec_start.startswith("/usr/bin/sluice server ")
    local = tmp_path / "sluice.service"
    local.write_text(unit.replace("/usr/bin/sluice", SLUICE))  # verify checks the binary exists
    p = subprocess.run(["systemd-analyze", "verify", str(local)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and p.stderr.strip() == "", p.stderr
    # ExecStart with the options of /etc/default/sluice, as systemd expands $SLUICE_SERVER_ARGS.
    defaults = (DEPLOY / "debian" / "sluice.default").read_text()
    args = shlex.split(re.search(r'^SLUICE_SERVER_ARGS="(.*)"$', defaults, re.M).group(1))
    command = shlex.split(exec_start.replace("$SLUICE_SERVER_ARGS", shlex.join(args)))[1:]
    ports = {8000: free_port(), 8001: free_port()}
    s = Proc(local_args([str(tmp_path / "data") if a == "/var/lib/sluice" else a for a in command], tmp_path, ports),
             {}, tmp_path / "server.log")
    try:
        s.wait_for(lambda: healthy(ports[8000]) and healthy(ports[8001]), "healthy server")
        assert (tmp_path / "data" / "secret.key").exists() and (tmp_path / "data" / "sluice.db").exists()
    finally:
        assert s.stop() == 0


# ---------- the .deb ----------

def test_deb_package_from_cpack(tmp_path):
    build = pathlib.Path(SLUICE).resolve().parent
    p = subprocess.run(["cpack", "-G", "DEB", "--config", str(build / "CPackConfig.cmake"), "-B", str(tmp_path / "pkg")],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    debs = list((tmp_path / "pkg").glob("sluice_*.deb"))
    assert len(debs) == 1, p.stdout
    info = subprocess.run(["dpkg-deb", "-I", str(debs[0])], capture_output=True, text=True, check=True).stdout
    fields = dict(re.findall(r"^ (\w[\w-]*): (.*)$", info, re.M))
    assert fields["Package"] == "sluice" and fields["Architecture"] == "amd64", fields
    depends = fields["Depends"]
    for lib in ("libpq5", "libsqlite3-0", "libsodium23", "libc6"):
        assert lib in depends, depends
    assert "postgresql-client" in fields["Recommends"]
    conffiles = subprocess.run(["dpkg-deb", "-I", str(debs[0]), "conffiles"], capture_output=True, text=True,
                               check=True).stdout.split()
    assert conffiles == ["/etc/default/sluice"]
    listing = subprocess.run(["dpkg-deb", "-c", str(debs[0])], capture_output=True, text=True, check=True).stdout
    files = {line.split()[-1] for line in listing.splitlines()}
    for f in ("./usr/bin/sluice", "./usr/lib/systemd/system/sluice.service", "./etc/default/sluice",
              "./usr/share/doc/sluice/README.md"):
        assert f in files, sorted(files)
    assert not any("CMakeFiles" in f or f.endswith(".cmake") for f in files), "no build files in the package"
    web_built = (build / "web" / "index.html").exists()
    assert ("./usr/share/sluice/web/index.html" in files) == web_built
    # The packaged binary runs (stripped), and as installed it finds the web UI in /usr/share/sluice/web.
    root = tmp_path / "root"
    subprocess.run(["dpkg-deb", "-x", str(debs[0]), str(root)], check=True)
    packaged = root / "usr" / "bin" / "sluice"
    assert packaged.stat().st_size < pathlib.Path(SLUICE).stat().st_size
    assert subprocess.run([str(packaged), "version"], capture_output=True, text=True).stdout.startswith("sluice ")
    assert (root / "usr/lib/systemd/system/sluice.service").read_text() == (DEPLOY / "systemd/sluice.service").read_text()
    if web_built:
        port = free_port()
        proc = subprocess.Popen([str(packaged), "server", "--data-dir", str(tmp_path / "data"), "--port", str(port),
                                 "--api-port", "0", "--no-auth"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while not healthy(port) and time.monotonic() < deadline:
                time.sleep(0.05)
            page = requests.get(f"http://127.0.0.1:{port}/", timeout=5)
            assert page.status_code == 200 and "<div id=\"root\"" in page.text, page.text[:300]
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
