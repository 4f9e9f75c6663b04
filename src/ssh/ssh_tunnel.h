#pragma once
// SshTunnel: a local TCP port forwarded through an SSH server (libssh2) to one host:port that
// the SSH server can reach — `ssh -L 127.0.0.1:<ephemeral>:target_host:target_port`.
//
// Lifecycle: Open() connects to the SSH server, logs its host key fingerprint, authenticates,
// opens one trial channel to the target (so a closed or unreachable target fails here, not at
// the first query), then listens on 127.0.0.1 at an ephemeral port and starts one thread. Each
// connection accepted on that port gets its own direct-tcpip channel over the one SSH session;
// bytes are copied both ways until either side closes, which closes the other.
// The destructor stops the thread and closes every forwarded connection, the session and the
// listening socket.
//
// Ownership: the caller owns the tunnel and keeps it alive while any client connection made to
// local_port() is in use (close the clients first: a client still open when the tunnel goes sees
// its connection closed). Threads: Open and the destructor on the owner's thread; the accessors
// from any thread; after Open only the tunnel's thread touches libssh2.
//
// Host keys are not verified (neither does Airbyte): the SHA-256 fingerprint is logged at info
// level and kept in host_key_fingerprint(), to compare with `ssh-keygen -lf` on the server.
// Secrets (key text, password) never appear in a message or a log line.

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "base/status.h"

namespace sluice {

struct SshTunnelOptions {
  std::string ssh_host;  //!< the SSH server (bastion) to connect to
  int ssh_port = 22;
  std::string user;
  //! Private key text (OpenSSH `-----BEGIN OPENSSH PRIVATE KEY-----`, or PEM: RSA, EC, PKCS#8),
  //! not encrypted. Empty: password authentication.
  std::string private_key;
  std::string password;  //!< used when private_key is empty
  std::string target_host;  //!< resolved by the SSH server, not here
  int target_port = 0;
  //! Seconds for the TCP connect and for each step of the SSH setup (handshake, authentication,
  //! the trial channel). Default 10.
  int connect_timeout_seconds = 10;
};

//! Which step of Open() failed: lets a caller name the config field to fix.
enum class SshTunnelStep {
  kResolve,    //!< the SSH server's host name does not resolve (config)
  kConnect,    //!< TCP connect refused or timed out (transient)
  kHandshake,  //!< not an SSH server, or no common algorithms (config)
  kKey,        //!< the private key cannot be read (config)
  kAuth,       //!< the server refused the key or the password (config)
  kTarget,     //!< the SSH server cannot open a connection to target_host:target_port (config)
  kLocal,      //!< no local port or thread (system)
};

class SshTunnel {
 public:
  //! Connects, authenticates, checks the target, listens and starts the thread. On failure
  //! `failed_step` (when given) says which step failed; the message says what and where, never
  //! a secret.
  static Result<std::unique_ptr<SshTunnel>> Open(const SshTunnelOptions& options,
                                                 SshTunnelStep* failed_step = nullptr);
  ~SshTunnel();
  SshTunnel(const SshTunnel&) = delete;
  SshTunnel& operator=(const SshTunnel&) = delete;

  //! The 127.0.0.1 port to connect to instead of target_host:target_port.
  int local_port() const { return local_port_; }
  //! "SHA256:…" (OpenSSH's form) of the server's host key, and its type ("ssh-ed25519", …).
  const std::string& host_key_fingerprint() const { return fingerprint_; }
  const std::string& host_key_type() const { return host_key_type_; }
  //! "user@bastion:22 → db:5432", for messages.
  const std::string& description() const { return description_; }
  //! Connections accepted so far (for tests and stats).
  uint64_t connections_accepted() const { return accepted_.load(); }

 private:
  struct Session;
  SshTunnel() = default;
  void Run();

  std::unique_ptr<Session> session_;
  int listen_fd_ = -1;
  int wake_fds_[2] = {-1, -1};
  int local_port_ = 0;
  std::string fingerprint_;
  std::string host_key_type_;
  std::string description_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> accepted_{0};
  std::thread thread_;
};

//! Pure check of a private key's text before any connection: empty, not a private key, a
//! public key pasted by mistake, encrypted (no passphrase field exists), or a format libssh2
//! cannot read (PuTTY). Returns what is wrong, or nothing when it looks usable.
std::optional<std::string> SshPrivateKeyProblem(std::string_view text);

//! Standard base64 without '=' padding (OpenSSH fingerprints).
std::string Base64NoPadding(std::string_view bytes);

}  // namespace sluice
