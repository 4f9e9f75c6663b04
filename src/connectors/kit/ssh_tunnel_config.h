#pragma once
// Airbyte's `tunnel_method` for database connectors: its spec (a oneOf of NO_TUNNEL,
// SSH_KEY_AUTH, SSH_PASSWORD_AUTH), parsing it (pure), and opening the tunnel it describes
// (ssh/ssh_tunnel.h) with errors that name the tunnel_method.* field to fix.
//
//   "tunnel_method": {"tunnel_method": "SSH_KEY_AUTH", "tunnel_host": "bastion", "tunnel_port": 22,
//                     "tunnel_user": "airbyte", "ssh_key": "-----BEGIN OPENSSH PRIVATE KEY-----…"}
//
// Used by source-postgres, destination-postgres (through postgres_common) and source-mysql. A
// connector parses it with its config, opens it at the start of check / discover / read / a
// destination run, points its client at 127.0.0.1:tunnel->local_port(), and keeps the tunnel
// until its last connection is closed.

#include <memory>
#include <string>
#include <string_view>

#include "base/json.h"
#include "base/status.h"
#include "ssh/ssh_tunnel.h"

namespace sluice {

enum class TunnelMethod { kNone, kSshKey, kSshPassword };

struct TunnelConfig {
  TunnelMethod method = TunnelMethod::kNone;
  std::string host;  //!< tunnel_host: the SSH server (jump server)
  int port = 22;     //!< tunnel_port
  std::string user;  //!< tunnel_user
  std::string ssh_key;   //!< ssh_key (kSshKey): private key text
  std::string password;  //!< tunnel_user_password (kSshPassword)

  bool enabled() const { return method != TunnelMethod::kNone; }
};

//! The `tunnel_method` property in Airbyte's shape (titles, `order`, secrets marked
//! airbyte_secret), default NO_TUNNEL.
Json TunnelMethodSpec(int order);

//! Reads config["tunnel_method"] (absent or null: no tunnel). Pure: no I/O. Fields that do
//! not belong to the chosen method are ignored (Airbyte's UI sends them empty). Errors are
//! ConfigErrors naming the field: "tunnel_method.tunnel_host: required for SSH_KEY_AUTH".
Result<TunnelConfig> ParseTunnelMethod(const Json& config);

//! Opens the tunnel to target_host:target_port (as the SSH server resolves it); nullptr when
//! the method is NO_TUNNEL. Errors name the field to fix (tunnel_method.tunnel_host, …
//! .tunnel_port, .tunnel_user, .ssh_key, .tunnel_user_password, or the connector's host/port
//! for a target the SSH server cannot reach), never a secret. An unreachable SSH server
//! (refused, timed out) is transient; everything else is a config error.
Result<std::unique_ptr<SshTunnel>> OpenTunnel(const TunnelConfig& tunnel, std::string_view target_host,
                                              int target_port, int connect_timeout_seconds);

}  // namespace sluice
