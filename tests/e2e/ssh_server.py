"""A real OpenSSH server (Debian's openssh-server) for the SSH-tunnel tests: `/usr/sbin/sshd -D`
with a generated sshd_config, host keys and authorized_keys in a temporary folder, on a free
loopback port, run as the current user (root in CI: then it needs /run/sshd, created here), and
stopped at the end (also when a test fails).

    from ssh_server import ssh  # noqa: F401  (the session fixture)

    def test_x(ssh):
        key = ssh.client_key("ed25519")                 # private key text, its public key authorized
        tunnel = ssh.tunnel_method(key)                 # Airbyte's tunnel_method object (SSH_KEY_AUTH)

Password authentication: sshd checks passwords against the machine's accounts (PAM or
/etc/shadow), which a test must not change. `SshServer(password=...)` instead runs sshd without
PAM and with a small preloaded library (compiled here with cc) whose getspnam() answers the
crypt(3) hash of that password for every user — sshd's own password check then runs unchanged,
as root or not, and nothing on the machine changes.
"""
import getpass
import os
import pathlib
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

SSHD = "/usr/sbin/sshd"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def keygen(path, kind, pem=False):
    """A new key pair at `path` (no passphrase); returns the private key text."""
    args = ["ssh-keygen", "-q", "-N", "", "-C", "sluice-test", "-f", str(path)]
    if kind == "rsa":
        args += ["-t", "rsa", "-b", "2048"]
    else:
        args += ["-t", kind]
    if pem:
        args += ["-m", "PEM"]
    subprocess.run(args, check=True, capture_output=True)
    return pathlib.Path(path).read_text()


SHADOW_SHIM = r"""
#include <shadow.h>
#include <stdlib.h>
#include <string.h>
/* sshd (UsePAM no) reads the user's password hash with getspnam(): answer the test's. */
struct spwd* getspnam(const char* name) {
  static struct spwd entry;
  const char* hash = getenv("SLUICE_TEST_SHADOW_HASH");
  if (hash == NULL) return NULL;
  memset(&entry, 0, sizeof entry);
  entry.sp_namp = (char*)name;
  entry.sp_pwdp = (char*)hash;
  entry.sp_lstchg = entry.sp_min = entry.sp_max = entry.sp_warn = entry.sp_inact = entry.sp_expire = -1;
  return &entry;
}
"""


class SshServer:
    def __init__(self, password=None):
        if not os.path.exists(SSHD):
            pytest.skip("openssh-server is not installed (scripts/setup.sh installs it)")
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="sluice-sshd-"))
        os.chmod(self.dir, 0o700)
        self.user = getpass.getuser()
        self.port = free_port()
        self.host = "127.0.0.1"
        self.authorized = self.dir / "authorized_keys"
        self.authorized.write_text("")
        os.chmod(self.authorized, 0o600)
        self.host_key = self.dir / "host_ed25519"
        keygen(self.host_key, "ed25519")
        self.log = self.dir / "sshd.log"
        config = self.dir / "sshd_config"
        config.write_text("\n".join([
            f"ListenAddress 127.0.0.1:{self.port}",
            f"HostKey {self.host_key}",
            f"PidFile {self.dir}/sshd.pid",
            f"AuthorizedKeysFile {self.authorized}",
            "PubkeyAuthentication yes",
            f"PasswordAuthentication {'yes' if password else 'no'}",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            f"PermitRootLogin {'yes' if password else 'prohibit-password'}",
            "AllowTcpForwarding yes",
            "StrictModes no",
            "LogLevel DEBUG1",  # logs each direct-tcpip channel: the tests count them
            "",
        ]))
        if os.geteuid() == 0:
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # privilege separation folder
        env = dict(os.environ)
        if password:
            shim = self.dir / "shadow_shim"
            shim.with_suffix(".c").write_text(SHADOW_SHIM)
            subprocess.run(["cc", "-shared", "-fPIC", "-o", f"{shim}.so", f"{shim}.c"], check=True,
                           capture_output=True)
            os.chmod(self.dir, 0o755)  # sshd's unprivileged child loads the library too
            digest = subprocess.run(["openssl", "passwd", "-6", "-stdin"], input=password, check=True,
                                    capture_output=True, text=True).stdout.strip()
            env.update(LD_PRELOAD=f"{shim}.so", SLUICE_TEST_SHADOW_HASH=digest)
        self.password = password
        self.proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=subprocess.DEVNULL,
                                     stderr=open(self.log, "w"), stdin=subprocess.DEVNULL, env=env)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"sshd exited {self.proc.returncode}:\n{self.log_text()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=1):
                    break
            except OSError:
                time.sleep(0.05)
        else:
            self.stop()
            raise AssertionError(f"sshd did not listen within 10 s:\n{self.log_text()}")
        fp = subprocess.run(["ssh-keygen", "-l", "-E", "sha256", "-f", f"{self.host_key}.pub"], check=True,
                            capture_output=True, text=True).stdout.split()
        self.host_key_fingerprint = fp[1]  # "SHA256:…"
        self._keys = 0

    def client_key(self, kind="ed25519", pem=False, authorize=True):
        """A new client key's private text; its public key is authorized unless `authorize` is False."""
        self._keys += 1
        path = self.dir / f"client_{self._keys}"
        text = keygen(path, kind, pem)
        if authorize:
            with open(self.authorized, "a") as f:
                f.write(pathlib.Path(f"{path}.pub").read_text())
        return text

    def tunnel_method(self, key, **overrides):
        t = {"tunnel_method": "SSH_KEY_AUTH", "tunnel_host": self.host, "tunnel_port": self.port,
             "tunnel_user": self.user, "ssh_key": key}
        t.update(overrides)
        return t

    def forwards_to(self, port, probes=False):
        """How many direct-tcpip channels to `port` sshd has opened so far (from its debug log).
        sluice's trial channel at tunnel start says originator port 0, forwarded connections their
        client's port: only the latter count unless `probes`."""
        n = 0
        for line in self.log_text().splitlines():
            if "server_request_direct_tcpip" not in line or f"port {port}" not in line.split("target", 1)[-1]:
                continue
            if probes or "originator 127.0.0.1 port 0," not in line:
                n += 1
        return n

    def log_text(self):
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self):
        try:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def ssh():
    server = SshServer()
    try:
        yield server
    finally:
        server.stop()
