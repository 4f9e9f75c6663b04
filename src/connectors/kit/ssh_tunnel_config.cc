#include "connectors/kit/ssh_tunnel_config.h"

#include <fmt/format.h>

#include <charconv>

namespace sluice {

namespace {

Json HostProperty() {
  return {{"type", "string"},
          {"title", "SSH Tunnel Jump Server Host"},
          {"description", "Hostname of the jump server host that allows inbound ssh tunnel."},
          {"order", 1}};
}

Json PortProperty() {
  return {{"type", "integer"},
          {"title", "SSH Connection Port"},
          {"description", "Port on the proxy/jump server that accepts inbound ssh connections."},
          {"minimum", 0},
          {"maximum", 65536},
          {"default", 22},
          {"examples", {"22"}},
          {"order", 2}};
}

Json UserProperty() {
  return {{"type", "string"},
          {"title", "SSH Login Username"},
          {"description", "OS-level username for logging into the jump server host."},
          {"order", 3}};
}

Json MethodProperty(std::string_view method, std::string_view description) {
  return {{"type", "string"}, {"const", method}, {"description", description}, {"order", 0}};
}

}  // namespace

Json TunnelMethodSpec(int order) {
  Json none = {{"title", "No Tunnel"},
               {"required", {"tunnel_method"}},
               {"properties",
                {{"tunnel_method", MethodProperty("NO_TUNNEL", "No ssh tunnel needed to connect to database")}}}};
  Json key = {
      {"title", "SSH Key Authentication"},
      {"required", {"tunnel_method", "tunnel_host", "tunnel_port", "tunnel_user", "ssh_key"}},
      {"properties",
       {{"tunnel_method",
         MethodProperty("SSH_KEY_AUTH", "Connect through a jump server tunnel host using username and ssh key")},
        {"tunnel_host", HostProperty()},
        {"tunnel_port", PortProperty()},
        {"tunnel_user", UserProperty()},
        {"ssh_key",
         {{"type", "string"},
          {"title", "SSH Private Key"},
          {"description",
           "OS-level user account ssh key credentials: the private key file's text, not encrypted (OpenSSH "
           "format, e.g. ssh-keygen -t ed25519, or RSA PEM, e.g. ssh-keygen -t rsa -m PEM)."},
          {"airbyte_secret", true},
          {"multiline", true},
          {"order", 4}}}}}};
  Json password = {
      {"title", "Password Authentication"},
      {"required", {"tunnel_method", "tunnel_host", "tunnel_port", "tunnel_user", "tunnel_user_password"}},
      {"properties",
       {{"tunnel_method", MethodProperty("SSH_PASSWORD_AUTH",
                                         "Connect through a jump server tunnel host using username and password "
                                         "authentication")},
        {"tunnel_host", HostProperty()},
        {"tunnel_port", PortProperty()},
        {"tunnel_user", UserProperty()},
        {"tunnel_user_password",
         {{"type", "string"},
          {"title", "Password"},
          {"description", "OS-level password for logging into the jump server host"},
          {"airbyte_secret", true},
          {"order", 4}}}}}};
  return {{"type", "object"},
          {"title", "SSH Tunnel Method"},
          {"description",
           "Whether to initiate an SSH tunnel before connecting to the database, and if so, which kind of "
           "authentication to use."},
          {"default", {{"tunnel_method", "NO_TUNNEL"}}},
          {"order", order},
          {"oneOf", {none, key, password}}};
}

Result<TunnelConfig> ParseTunnelMethod(const Json& config) {
  TunnelConfig t;
  if (!config.is_object()) return t;
  auto it = config.find("tunnel_method");
  if (it == config.end() || it->is_null()) return t;
  const Json& o = *it;
  if (!o.is_object()) {
    return Status::ConfigError(
        "tunnel_method: must be an object such as {\"tunnel_method\": \"NO_TUNNEL\"} or {\"tunnel_method\": "
        "\"SSH_KEY_AUTH\", \"tunnel_host\": …, \"tunnel_port\": 22, \"tunnel_user\": …, \"ssh_key\": …}");
  }
  std::string method = "NO_TUNNEL";
  if (auto m = o.find("tunnel_method"); m != o.end() && !m->is_null()) {
    if (!m->is_string()) return Status::ConfigError("tunnel_method.tunnel_method: must be a string");
    method = m->get<std::string>();
  }
  if (method == "NO_TUNNEL") return t;
  if (method == "SSH_KEY_AUTH") {
    t.method = TunnelMethod::kSshKey;
  } else if (method == "SSH_PASSWORD_AUTH") {
    t.method = TunnelMethod::kSshPassword;
  } else {
    return Status::ConfigError(fmt::format(
        "tunnel_method.tunnel_method: '{}' is not one of NO_TUNNEL, SSH_KEY_AUTH, SSH_PASSWORD_AUTH", method));
  }
  auto string_field = [&](const char* key) -> Result<std::string> {
    auto f = o.find(key);
    if (f == o.end() || f->is_null()) return std::string();
    if (!f->is_string()) return Status::ConfigError(fmt::format("tunnel_method.{}: must be a string", key));
    return f->get<std::string>();
  };
  SLUICE_ASSIGN_OR_RETURN(t.host, string_field("tunnel_host"));
  SLUICE_ASSIGN_OR_RETURN(t.user, string_field("tunnel_user"));
  if (t.host.empty()) return Status::ConfigError(fmt::format("tunnel_method.tunnel_host: required for {}", method));
  if (t.user.empty()) return Status::ConfigError(fmt::format("tunnel_method.tunnel_user: required for {}", method));
  if (auto p = o.find("tunnel_port"); p != o.end() && !p->is_null()) {
    int64_t port = -1;
    if (p->is_number_integer()) {
      port = p->get<int64_t>();
    } else if (p->is_string()) {  // Airbyte's examples write "22"
      const std::string s = p->get<std::string>();
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), port);
      if (ec != std::errc() || end != s.data() + s.size()) port = -1;
    }
    if (port < 1 || port > 65535) {
      return Status::ConfigError(
          fmt::format("tunnel_method.tunnel_port: must be a port number between 1 and 65535, got {}", p->dump()));
    }
    t.port = static_cast<int>(port);
  }
  if (t.method == TunnelMethod::kSshKey) {
    SLUICE_ASSIGN_OR_RETURN(t.ssh_key, string_field("ssh_key"));
    if (auto problem = SshPrivateKeyProblem(t.ssh_key)) {
      return Status::ConfigError(fmt::format("tunnel_method.ssh_key: the key {}", *problem));
    }
    // Keys pasted through a form or an env var may carry \r\n or lose the final newline.
    std::erase(t.ssh_key, '\r');
    if (!t.ssh_key.ends_with('\n')) t.ssh_key += '\n';
  } else {
    SLUICE_ASSIGN_OR_RETURN(t.password, string_field("tunnel_user_password"));
    if (t.password.empty()) {
      return Status::ConfigError("tunnel_method.tunnel_user_password: required for SSH_PASSWORD_AUTH");
    }
  }
  return t;
}

Result<std::unique_ptr<SshTunnel>> OpenTunnel(const TunnelConfig& tunnel, std::string_view target_host,
                                              int target_port, int connect_timeout_seconds) {
  if (!tunnel.enabled()) return std::unique_ptr<SshTunnel>();
  SshTunnelOptions options;
  options.ssh_host = tunnel.host;
  options.ssh_port = tunnel.port;
  options.user = tunnel.user;
  options.private_key = tunnel.method == TunnelMethod::kSshKey ? tunnel.ssh_key : std::string();
  options.password = tunnel.method == TunnelMethod::kSshPassword ? tunnel.password : std::string();
  options.target_host = std::string(target_host);
  options.target_port = target_port;
  options.connect_timeout_seconds = connect_timeout_seconds;
  SshTunnelStep step = SshTunnelStep::kLocal;
  auto opened = SshTunnel::Open(options, &step);
  if (opened.ok()) return opened;
  const Status& st = opened.status();
  std::string fields;
  switch (step) {
    case SshTunnelStep::kResolve: fields = "tunnel_method.tunnel_host"; break;
    case SshTunnelStep::kConnect:
    case SshTunnelStep::kHandshake: fields = "tunnel_method.tunnel_host / tunnel_method.tunnel_port"; break;
    case SshTunnelStep::kKey: fields = "tunnel_method.ssh_key"; break;
    case SshTunnelStep::kAuth:
      fields = tunnel.method == TunnelMethod::kSshKey ? "tunnel_method.tunnel_user / tunnel_method.ssh_key"
                                                      : "tunnel_method.tunnel_user / tunnel_method.tunnel_user_password";
      break;
    case SshTunnelStep::kTarget: fields = "host / port (as the SSH server sees them)"; break;
    case SshTunnelStep::kLocal: return st;
  }
  std::string message = fmt::format("{}: SSH tunnel: {}", fields, st.message());
  switch (st.failure_type()) {
    case FailureType::kTransient: return Status::TransientError(std::move(message), st.detail());
    case FailureType::kConfig: return Status::ConfigError(std::move(message), st.detail());
    default: return Status::SystemError(std::move(message), st.detail());
  }
}

}  // namespace sluice
