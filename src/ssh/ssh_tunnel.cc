#include "ssh/ssh_tunnel.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <libssh2.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <vector>

#include "base/log.h"
#include "ssh/rsa_sha2_auth.h"

namespace sluice {

namespace {

constexpr size_t kBufferBytes = 64 * 1024;
constexpr int kKeepaliveSeconds = 30;

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

bool SetNonBlocking(int fd) {
  const int flags = fcntl(fd, F_GETFL, 0);
  return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

std::string LastError(LIBSSH2_SESSION* session) {
  char* message = nullptr;
  int length = 0;
  libssh2_session_last_error(session, &message, &length, 0);
  return message != nullptr && length > 0 ? std::string(message, static_cast<size_t>(length)) : "unknown error";
}

bool SocketLost(int rc) {
  return rc == LIBSSH2_ERROR_SOCKET_RECV || rc == LIBSSH2_ERROR_SOCKET_SEND || rc == LIBSSH2_ERROR_SOCKET_DISCONNECT ||
         rc == LIBSSH2_ERROR_SOCKET_TIMEOUT || rc == LIBSSH2_ERROR_TIMEOUT || rc == LIBSSH2_ERROR_BAD_USE;
}

const char* HostKeyTypeName(int type) {
  switch (type) {
    case LIBSSH2_HOSTKEY_TYPE_RSA: return "ssh-rsa";
    case LIBSSH2_HOSTKEY_TYPE_DSS: return "ssh-dss";
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_256: return "ecdsa-sha2-nistp256";
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_384: return "ecdsa-sha2-nistp384";
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_521: return "ecdsa-sha2-nistp521";
    case LIBSSH2_HOSTKEY_TYPE_ED25519: return "ssh-ed25519";
    default: return "unknown";
  }
}

//! TCP connect to host:port within `timeout_s`; the socket is returned non-blocking.
Result<int> ConnectTcp(const std::string& host, int port, int timeout_s, SshTunnelStep* step) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    *step = SshTunnelStep::kResolve;
    return Status::ConfigError(fmt::format("cannot resolve the SSH server's host name '{}': {}", host, gai_strerror(rc)));
  }
  std::string last = "no address";
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    SetNonBlocking(fd);
    int rc = connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      rc = poll(&p, 1, timeout_s * 1000);
      if (rc == 0) {
        last = fmt::format("no answer within {} s", timeout_s);
        ::close(fd);
        continue;
      }
      int error = 0;
      socklen_t len = sizeof(error);
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
      rc = error == 0 ? 0 : -1;
      errno = error;
    }
    if (rc == 0) {
      freeaddrinfo(found);
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      return fd;
    }
    last = std::strerror(errno);
    ::close(fd);
  }
  freeaddrinfo(found);
  *step = SshTunnelStep::kConnect;
  return Status::TransientError(fmt::format("cannot connect to the SSH server at {}:{}: {}", host, port, last));
}

std::once_flag g_init_once;

}  // namespace

std::string Base64NoPadding(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == bytes.size()) {
    const uint32_t v = uint8_t(bytes[i]) << 16;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
  } else if (i + 2 == bytes.size()) {
    const uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

std::optional<std::string> SshPrivateKeyProblem(std::string_view text) {
  const auto has = [&](std::string_view needle) { return text.find(needle) != std::string_view::npos; };
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return "is empty";
  if (has("PuTTY-User-Key-File")) {
    return "is a PuTTY key; convert it with `puttygen key.ppk -O private-openssh -o key`";
  }
  if (text.starts_with("ssh-") || text.starts_with("ecdsa-") || has("BEGIN SSH2 PUBLIC KEY") ||
      has("BEGIN PUBLIC KEY")) {
    return "is a public key; give the private key (the file without .pub)";
  }
  if (!has("-----BEGIN ") || !has(" PRIVATE KEY-----")) {
    return "is not a private key: expected the text of a key file, starting with "
           "-----BEGIN OPENSSH PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----";
  }
  if (has("BEGIN ENCRYPTED PRIVATE KEY") || has("Proc-Type: 4,ENCRYPTED")) {
    return "is encrypted with a passphrase, which the config cannot carry; remove it with "
           "`ssh-keygen -p -N '' -f key`";
  }
  if (has("BEGIN OPENSSH PRIVATE KEY") && OpenSshKeyIsEncrypted(text)) {
    return "is encrypted with a passphrase, which the config cannot carry; remove it with "
           "`ssh-keygen -p -N '' -f key`";
  }
  return std::nullopt;
}

struct SshTunnel::Session {
  int fd = -1;
  LIBSSH2_SESSION* session = nullptr;
  std::string target_host;
  int target_port = 0;

  ~Session() {
    if (session != nullptr) {
      libssh2_session_set_blocking(session, 1);
      libssh2_session_set_timeout(session, 2000);
      libssh2_session_disconnect(session, "sluice: tunnel closed");
      libssh2_session_free(session);
    }
    CloseFd(fd);
  }
};

namespace {

Status Authenticate(LIBSSH2_SESSION* session, const SshTunnelOptions& o, const std::string& where,
                    SshTunnelStep* step) {
  // The methods the server offers for this user (also ends the "none" probe).
  const char* offered = libssh2_userauth_list(session, o.user.c_str(), static_cast<unsigned>(o.user.size()));
  if (offered == nullptr && libssh2_userauth_authenticated(session)) return Status::Ok();
  if (offered == nullptr && SocketLost(libssh2_session_last_errno(session))) {
    *step = SshTunnelStep::kConnect;
    return Status::TransientError(fmt::format("{} closed the connection before authentication: {}", where,
                                              LastError(session)));
  }
  const std::string methods = offered != nullptr ? offered : "";
  if (!o.private_key.empty()) {
    if (methods.find("publickey") == std::string::npos) {
      *step = SshTunnelStep::kAuth;
      return Status::ConfigError(fmt::format("{} does not accept key authentication for user '{}' (it offers: {})",
                                             where, o.user, methods.empty() ? "nothing" : methods));
    }
    // RSA keys: libssh2 1.10 signs with ssh-rsa (SHA-1), which OpenSSH 8.8+ refuses; try
    // rsa-sha2-256 first (rsa_sha2_auth.h), then libssh2's own way for older servers.
    RsaSha2Attempt rsa = TryRsaSha2Auth(session, o.user, o.private_key);
    if (rsa == RsaSha2Attempt::kAuthenticated) return Status::Ok();
    const int rc = libssh2_userauth_publickey_frommemory(session, o.user.c_str(), o.user.size(), nullptr, 0,
                                                         o.private_key.data(), o.private_key.size(), nullptr);
    if (rc == 0) return Status::Ok();
    if (rc == LIBSSH2_ERROR_FILE || rc == LIBSSH2_ERROR_METHOD_NOT_SUPPORTED) {
      *step = SshTunnelStep::kKey;
      return Status::ConfigError(fmt::format(
          "cannot read the private key ({}); libssh2 1.10 reads unencrypted OpenSSH keys (ed25519, ecdsa, rsa) and PEM "
          "keys (RSA, EC, PKCS#8)",
          LastError(session)));
    }
    if (SocketLost(rc)) {
      *step = SshTunnelStep::kConnect;
      return Status::TransientError(fmt::format("{} closed the connection during authentication: {}", where,
                                                LastError(session)));
    }
    *step = SshTunnelStep::kAuth;
    return Status::ConfigError(fmt::format("{} refused the key for user '{}' (is its public key in the user's "
                                           "~/.ssh/authorized_keys?)",
                                           where, o.user));
  }
  if (methods.find("password") == std::string::npos) {
    *step = SshTunnelStep::kAuth;
    return Status::ConfigError(fmt::format("{} does not accept password authentication for user '{}' (it offers: {})",
                                           where, o.user, methods.empty() ? "nothing" : methods));
  }
  const int rc = libssh2_userauth_password_ex(session, o.user.c_str(), static_cast<unsigned>(o.user.size()),
                                              o.password.c_str(), static_cast<unsigned>(o.password.size()), nullptr);
  if (rc == 0) return Status::Ok();
  if (SocketLost(rc)) {
    *step = SshTunnelStep::kConnect;
    return Status::TransientError(fmt::format("{} closed the connection during authentication: {}", where,
                                              LastError(session)));
  }
  *step = SshTunnelStep::kAuth;
  return Status::ConfigError(fmt::format("{} refused the password for user '{}'", where, o.user));
}

}  // namespace

Result<std::unique_ptr<SshTunnel>> SshTunnel::Open(const SshTunnelOptions& o, SshTunnelStep* failed_step) {
  SshTunnelStep ignored = SshTunnelStep::kLocal;
  SshTunnelStep* step = failed_step != nullptr ? failed_step : &ignored;
  std::call_once(g_init_once, [] { libssh2_init(0); });
  const int timeout_s = o.connect_timeout_seconds > 0 ? o.connect_timeout_seconds : 10;
  const std::string where = fmt::format("the SSH server at {}:{}", o.ssh_host, o.ssh_port);

  std::unique_ptr<SshTunnel> t(new SshTunnel());
  t->description_ = fmt::format("{}@{}:{} → {}:{}", o.user, o.ssh_host, o.ssh_port, o.target_host, o.target_port);
  t->session_ = std::make_unique<Session>();
  Session& s = *t->session_;
  s.target_host = o.target_host;
  s.target_port = o.target_port;
  SLUICE_ASSIGN_OR_RETURN(s.fd, ConnectTcp(o.ssh_host, o.ssh_port, timeout_s, step));
  s.session = libssh2_session_init();
  if (s.session == nullptr) {
    *step = SshTunnelStep::kLocal;
    return Status::SystemError("libssh2_session_init failed (out of memory)");
  }
  libssh2_session_set_blocking(s.session, 1);
  libssh2_session_set_timeout(s.session, static_cast<long>(timeout_s) * 1000);
  if (int rc = libssh2_session_handshake(s.session, s.fd); rc != 0) {
    *step = rc == LIBSSH2_ERROR_TIMEOUT || rc == LIBSSH2_ERROR_SOCKET_RECV ? SshTunnelStep::kConnect
                                                                            : SshTunnelStep::kHandshake;
    std::string text = fmt::format("no SSH handshake with {} ({}); is it an SSH server's port?", where, LastError(s.session));
    if (*step == SshTunnelStep::kConnect) return Status::TransientError(std::move(text));
    return Status::ConfigError(std::move(text));
  }
  size_t key_length = 0;
  int key_type = 0;
  libssh2_session_hostkey(s.session, &key_length, &key_type);
  t->host_key_type_ = HostKeyTypeName(key_type);
  if (const char* hash = libssh2_hostkey_hash(s.session, LIBSSH2_HOSTKEY_HASH_SHA256); hash != nullptr) {
    t->fingerprint_ = "SHA256:" + Base64NoPadding(std::string_view(hash, 32));
  }
  Log(LogLevel::kInfo, "SSH tunnel: {} presents host key {} {} (accepted without verification, as Airbyte does)",
      where, t->host_key_type_, t->fingerprint_);

  SLUICE_RETURN_IF_ERROR(Authenticate(s.session, o, where, step));

  // One trial channel: a target the SSH server cannot reach fails now, with a clear message.
  // Its originator port is 0; forwarded connections send their client's port.
  LIBSSH2_CHANNEL* probe =
      libssh2_channel_direct_tcpip_ex(s.session, o.target_host.c_str(), o.target_port, "127.0.0.1", 0);
  if (probe == nullptr) {
    const int rc = libssh2_session_last_errno(s.session);
    *step = SocketLost(rc) ? SshTunnelStep::kConnect : SshTunnelStep::kTarget;
    std::string text = fmt::format("{} cannot open a connection to {}:{} ({})", where, o.target_host, o.target_port,
                                   LastError(s.session));
    if (*step == SshTunnelStep::kConnect) return Status::TransientError(std::move(text));
    return Status::ConfigError(std::move(text));
  }
  libssh2_channel_close(probe);
  libssh2_channel_free(probe);

  // The local end.
  t->listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t addr_len = sizeof(addr);
  if (t->listen_fd_ < 0 || bind(t->listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(t->listen_fd_, 64) != 0 ||
      getsockname(t->listen_fd_, reinterpret_cast<sockaddr*>(&addr), &addr_len) != 0 ||
      pipe2(t->wake_fds_, O_NONBLOCK | O_CLOEXEC) != 0) {
    *step = SshTunnelStep::kLocal;
    return Status::SystemError(fmt::format("SSH tunnel: cannot listen on 127.0.0.1: {}", std::strerror(errno)));
  }
  t->local_port_ = ntohs(addr.sin_port);
  libssh2_session_set_blocking(s.session, 0);
  libssh2_keepalive_config(s.session, 0, kKeepaliveSeconds);
  t->thread_ = std::thread([raw = t.get()] { raw->Run(); });
  Log(LogLevel::kInfo, "SSH tunnel open: 127.0.0.1:{} → {}", t->local_port_, t->description_);
  return t;
}

SshTunnel::~SshTunnel() {
  stop_.store(true);
  if (wake_fds_[1] >= 0) {
    const char byte = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_fds_[1], &byte, 1);
  }
  if (thread_.joinable()) thread_.join();
  CloseFd(listen_fd_);
  CloseFd(wake_fds_[0]);
  CloseFd(wake_fds_[1]);
  session_.reset();  // disconnects
}

namespace {

//! One accepted client and its channel.
struct Forward {
  int fd = -1;
  int peer_port = 0;  //!< the client's port, sent as the channel's originator (sshd logs it)
  LIBSSH2_CHANNEL* channel = nullptr;
  std::string to_remote;  //!< read from the client, not yet written to the channel
  size_t to_remote_done = 0;
  std::string to_local;  //!< read from the channel, not yet sent to the client
  size_t to_local_done = 0;
  bool client_eof = false;
  bool remote_eof = false;
  bool done = false;
};

}  // namespace

void SshTunnel::Run() {
  LIBSSH2_SESSION* session = session_->session;
  const int ssh_fd = session_->fd;
  std::vector<std::unique_ptr<Forward>> forwards;
  std::vector<LIBSSH2_CHANNEL*> closing;  //!< channels whose close would have blocked
  std::vector<char> buffer(kBufferBytes);
  bool lost = false;

  auto lose_session = [&](int rc) {
    if (lost) return;
    lost = true;
    Log(LogLevel::kError, "SSH tunnel {}: the SSH connection was lost ({}, code {}); connections through it fail "
        "until the connector reconnects", description_, LastError(session), rc);
    CloseFd(listen_fd_);
  };

  // Moves bytes for one forward; returns true when anything moved or changed.
  auto pump = [&](Forward& f, bool may_open) -> bool {
    bool progress = false;
    if (f.channel == nullptr) {
      if (!may_open) return false;
      f.channel = libssh2_channel_direct_tcpip_ex(session, session_->target_host.c_str(), session_->target_port,
                                                  "127.0.0.1", f.peer_port);
      if (f.channel == nullptr) {
        const int rc = libssh2_session_last_errno(session);
        if (rc == LIBSSH2_ERROR_EAGAIN) return false;
        if (SocketLost(rc)) lose_session(rc);
        Log(LogLevel::kWarn, "SSH tunnel {}: cannot open a channel for a new connection: {}", description_,
            LastError(session));
        f.done = true;
        return true;
      }
      progress = true;
    }
    // client → channel
    if (f.to_remote_done == f.to_remote.size() && !f.client_eof) {
      const ssize_t n = recv(f.fd, buffer.data(), buffer.size(), 0);
      if (n > 0) {
        f.to_remote.assign(buffer.data(), static_cast<size_t>(n));
        f.to_remote_done = 0;
        progress = true;
      } else if (n == 0) {
        f.client_eof = true;
        progress = true;
      } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        f.client_eof = true;
        progress = true;
      }
    }
    while (f.to_remote_done < f.to_remote.size()) {
      const ssize_t w = libssh2_channel_write(f.channel, f.to_remote.data() + f.to_remote_done,
                                             f.to_remote.size() - f.to_remote_done);
      if (w == LIBSSH2_ERROR_EAGAIN) break;
      if (w < 0) {
        if (SocketLost(static_cast<int>(w))) lose_session(static_cast<int>(w));
        f.done = true;
        return true;
      }
      f.to_remote_done += static_cast<size_t>(w);
      progress = true;
    }
    // channel → client
    if (f.to_local_done == f.to_local.size() && !f.remote_eof) {
      const ssize_t r = libssh2_channel_read(f.channel, buffer.data(), buffer.size());
      if (r > 0) {
        f.to_local.assign(buffer.data(), static_cast<size_t>(r));
        f.to_local_done = 0;
        progress = true;
      } else if (r == 0 || (r < 0 && r != LIBSSH2_ERROR_EAGAIN)) {
        if (r < 0 && SocketLost(static_cast<int>(r))) lose_session(static_cast<int>(r));
        if (r < 0 || libssh2_channel_eof(f.channel)) {
          f.remote_eof = true;
          progress = true;
        }
      }
    }
    while (f.to_local_done < f.to_local.size()) {
      const ssize_t n = send(f.fd, f.to_local.data() + f.to_local_done, f.to_local.size() - f.to_local_done,
                             MSG_NOSIGNAL);
      if (n > 0) {
        f.to_local_done += static_cast<size_t>(n);
        progress = true;
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) break;
      f.client_eof = true;  // the client is gone
      f.to_local_done = f.to_local.size();
      progress = true;
    }
    // Either side closed and what it sent is delivered: close both.
    const bool remote_drained = f.to_remote_done == f.to_remote.size();
    const bool local_drained = f.to_local_done == f.to_local.size();
    if ((f.client_eof && remote_drained) || (f.remote_eof && local_drained)) {
      f.done = true;
      progress = true;
    }
    return progress;
  };

  auto finish = [&](Forward& f) {
    CloseFd(f.fd);
    if (f.channel != nullptr) {
      if (libssh2_channel_free(f.channel) == LIBSSH2_ERROR_EAGAIN) closing.push_back(f.channel);
      f.channel = nullptr;
    }
  };

  std::vector<pollfd> fds;
  while (!stop_.load()) {
    // Pump until nothing moves: libssh2 may hold data for one channel read while serving another.
    for (bool moved = true; moved && !lost;) {
      moved = false;
      bool opening = false;  // libssh2 opens one channel at a time
      for (auto& f : forwards) {
        if (f->done) continue;
        const bool may_open = !opening && f->channel == nullptr;
        if (f->channel == nullptr) opening = true;
        moved = pump(*f, may_open) || moved;
      }
    }
    for (size_t i = 0; i < closing.size();) {
      if (libssh2_channel_free(closing[i]) == LIBSSH2_ERROR_EAGAIN && !lost) {
        ++i;
      } else {
        closing[i] = closing.back();
        closing.pop_back();
      }
    }
    for (auto& f : forwards) {
      if (f->done || lost) finish(*f);
    }
    std::erase_if(forwards, [](const auto& f) { return f->fd < 0; });

    int timeout_ms = -1;
    if (!lost) {
      int next = kKeepaliveSeconds;
      const int rc = libssh2_keepalive_send(session, &next);
      if (rc != 0 && rc != LIBSSH2_ERROR_EAGAIN) lose_session(rc);
      timeout_ms = std::max(1, next) * 1000;
    }
    fds.clear();
    fds.push_back({wake_fds_[0], POLLIN, 0});
    if (listen_fd_ >= 0) fds.push_back({listen_fd_, POLLIN, 0});
    if (!lost) {
      short events = POLLIN;
      if (libssh2_session_block_directions(session) & LIBSSH2_SESSION_BLOCK_OUTBOUND) events |= POLLOUT;
      fds.push_back({ssh_fd, events, 0});
    }
    for (auto& f : forwards) {
      short events = 0;
      if (f->channel != nullptr && f->to_remote_done == f->to_remote.size() && !f->client_eof) events |= POLLIN;
      if (f->to_local_done < f->to_local.size()) events |= POLLOUT;
      fds.push_back({f->fd, events, 0});
    }
    if (poll(fds.data(), fds.size(), timeout_ms) < 0 && errno != EINTR) break;
    if (listen_fd_ >= 0) {
      for (;;) {
        const int client = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (client < 0) break;
        const int one = 1;
        setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        auto f = std::make_unique<Forward>();
        f->fd = client;
        sockaddr_in peer{};
        socklen_t peer_len = sizeof(peer);
        if (getpeername(client, reinterpret_cast<sockaddr*>(&peer), &peer_len) == 0) f->peer_port = ntohs(peer.sin_port);
        forwards.push_back(std::move(f));
        accepted_.fetch_add(1);
      }
    }
  }
  for (auto& f : forwards) finish(*f);
  // Channels still closing are freed with the session (libssh2_session_free).
}

}  // namespace sluice
