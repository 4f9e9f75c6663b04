#include "connectors/kit/ssh_tunnel_config.h"

#include <gtest/gtest.h>

#include "protocol/config_validator.h"

namespace sluice {
namespace {

// Not a real key: the parser only checks the shape (armor lines, not encrypted).
constexpr char kKey[] =
    "-----BEGIN RSA PRIVATE KEY-----\r\nMIIEpAIBAAKCAQEAtest\r\n-----END RSA PRIVATE KEY-----";

Json WithTunnel(Json tunnel) { return Json{{"host", "db.internal"}, {"port", 5432}, {"tunnel_method", tunnel}}; }

std::string ErrorOf(const Json& config) {
  auto r = ParseTunnelMethod(config);
  EXPECT_FALSE(r.ok());
  if (r.ok()) return "";
  EXPECT_EQ(r.status().failure_type(), FailureType::kConfig);
  return r.status().message();
}

TEST(SshTunnelConfigTest, AbsentNullAndNoTunnelMeanDirect) {
  for (const Json& config : {Json{{"host", "db"}}, Json{{"host", "db"}, {"tunnel_method", nullptr}},
                             WithTunnel({{"tunnel_method", "NO_TUNNEL"}}),
                             // Airbyte's UI may leave the other branches' fields behind.
                             WithTunnel({{"tunnel_method", "NO_TUNNEL"}, {"tunnel_host", ""}, {"ssh_key", ""}})}) {
    auto r = ParseTunnelMethod(config);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_FALSE(r->enabled());
  }
}

TEST(SshTunnelConfigTest, ReadsKeyAuthentication) {
  auto r = ParseTunnelMethod(WithTunnel({{"tunnel_method", "SSH_KEY_AUTH"},
                                         {"tunnel_host", "bastion.example.com"},
                                         {"tunnel_port", 2222},
                                         {"tunnel_user", "airbyte"},
                                         {"ssh_key", kKey},
                                         {"tunnel_user_password", ""}}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->method, TunnelMethod::kSshKey);
  EXPECT_EQ(r->host, "bastion.example.com");
  EXPECT_EQ(r->port, 2222);
  EXPECT_EQ(r->user, "airbyte");
  // \r\n from a pasted key become \n, and the last line ends with one.
  EXPECT_EQ(r->ssh_key.find('\r'), std::string::npos);
  EXPECT_TRUE(r->ssh_key.ends_with("-----END RSA PRIVATE KEY-----\n"));
  EXPECT_TRUE(r->password.empty());
}

TEST(SshTunnelConfigTest, ReadsPasswordAuthenticationWithDefaultPort) {
  auto r = ParseTunnelMethod(WithTunnel({{"tunnel_method", "SSH_PASSWORD_AUTH"},
                                         {"tunnel_host", "10.0.0.5"},
                                         {"tunnel_user", "jump"},
                                         {"tunnel_user_password", "s3cret"},
                                         {"ssh_key", ""}}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->method, TunnelMethod::kSshPassword);
  EXPECT_EQ(r->port, 22);
  EXPECT_EQ(r->password, "s3cret");
  EXPECT_TRUE(r->ssh_key.empty());
  // Airbyte's examples write the port as a string.
  auto text_port = ParseTunnelMethod(WithTunnel({{"tunnel_method", "SSH_PASSWORD_AUTH"},
                                                 {"tunnel_host", "10.0.0.5"},
                                                 {"tunnel_port", "2200"},
                                                 {"tunnel_user", "jump"},
                                                 {"tunnel_user_password", "s3cret"}}));
  ASSERT_TRUE(text_port.ok()) << text_port.status().message();
  EXPECT_EQ(text_port->port, 2200);
}

TEST(SshTunnelConfigTest, ProblemsNameTheField) {
  const Json key_base = {{"tunnel_method", "SSH_KEY_AUTH"},
                         {"tunnel_host", "bastion"},
                         {"tunnel_user", "u"},
                         {"ssh_key", kKey}};
  auto with = [&](const char* field, Json value) {
    Json t = key_base;
    t[field] = std::move(value);
    return WithTunnel(t);
  };
  EXPECT_EQ(ErrorOf(with("tunnel_method", "SSH_AGENT")),
            "tunnel_method.tunnel_method: 'SSH_AGENT' is not one of NO_TUNNEL, SSH_KEY_AUTH, SSH_PASSWORD_AUTH");
  EXPECT_EQ(ErrorOf(with("tunnel_host", "")), "tunnel_method.tunnel_host: required for SSH_KEY_AUTH");
  EXPECT_EQ(ErrorOf(with("tunnel_user", nullptr)), "tunnel_method.tunnel_user: required for SSH_KEY_AUTH");
  EXPECT_NE(ErrorOf(with("tunnel_port", 70000)).find("tunnel_method.tunnel_port: must be a port number"),
            std::string::npos);
  EXPECT_NE(ErrorOf(with("tunnel_port", "ssh")).find("tunnel_method.tunnel_port"), std::string::npos);
  EXPECT_NE(ErrorOf(with("tunnel_host", 5)).find("tunnel_method.tunnel_host: must be a string"), std::string::npos);
  EXPECT_NE(ErrorOf(with("ssh_key", "")).find("tunnel_method.ssh_key: the key is empty"), std::string::npos);
  EXPECT_NE(ErrorOf(with("ssh_key", "ssh-ed25519 AAAAC3Nza u@h")).find("tunnel_method.ssh_key: the key is a public key"),
            std::string::npos);
  EXPECT_NE(ErrorOf(with("ssh_key", "hunter2")).find("tunnel_method.ssh_key: the key is not a private key"),
            std::string::npos);
  EXPECT_NE(ErrorOf(WithTunnel({{"tunnel_method", "SSH_PASSWORD_AUTH"},
                                {"tunnel_host", "b"},
                                {"tunnel_user", "u"},
                                {"tunnel_user_password", ""}}))
                .find("tunnel_method.tunnel_user_password: required for SSH_PASSWORD_AUTH"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Json{{"tunnel_method", "SSH_KEY_AUTH"}}).find("tunnel_method: must be an object"),
            std::string::npos);
}

TEST(SshTunnelConfigTest, MessagesNeverCarryTheSecrets) {
  const std::string password = "pw-Very-Secret-4411";
  const std::string bad_key = "not-a-key Very-Secret-Key-Text";
  for (const Json& tunnel : {Json{{"tunnel_method", "SSH_KEY_AUTH"}, {"tunnel_host", "b"}, {"tunnel_user", "u"},
                                  {"ssh_key", bad_key}},
                             Json{{"tunnel_method", "SSH_PASSWORD_AUTH"}, {"tunnel_host", "b"}, {"tunnel_port", 0},
                                  {"tunnel_user", "u"}, {"tunnel_user_password", password}}}) {
    const std::string message = ErrorOf(WithTunnel(tunnel));
    EXPECT_EQ(message.find("Very-Secret"), std::string::npos) << message;
  }
}

TEST(SshTunnelConfigTest, SpecIsAirbytesOneOfWithSecretsMarked) {
  const Json spec = TunnelMethodSpec(7);
  EXPECT_EQ(spec["order"], 7);
  EXPECT_EQ(spec["default"]["tunnel_method"], "NO_TUNNEL");
  ASSERT_EQ(spec["oneOf"].size(), 3u);
  EXPECT_EQ(spec["oneOf"][0]["properties"]["tunnel_method"]["const"], "NO_TUNNEL");
  const Json& key = spec["oneOf"][1];
  EXPECT_EQ(key["properties"]["tunnel_method"]["const"], "SSH_KEY_AUTH");
  EXPECT_EQ(key["required"], Json({"tunnel_method", "tunnel_host", "tunnel_port", "tunnel_user", "ssh_key"}));
  EXPECT_TRUE(key["properties"]["ssh_key"]["airbyte_secret"].get<bool>());
  EXPECT_TRUE(key["properties"]["ssh_key"]["multiline"].get<bool>());
  const Json& password = spec["oneOf"][2];
  EXPECT_EQ(password["properties"]["tunnel_method"]["const"], "SSH_PASSWORD_AUTH");
  EXPECT_TRUE(password["properties"]["tunnel_user_password"]["airbyte_secret"].get<bool>());
  EXPECT_FALSE(password["properties"]["tunnel_user"].value("airbyte_secret", false));

  // Airbyte-shaped configs validate against it, and masking hides the key and the password.
  const Json schema = {{"type", "object"}, {"properties", {{"tunnel_method", spec}}}};
  const Json with_key = WithTunnel({{"tunnel_method", "SSH_KEY_AUTH"}, {"tunnel_host", "b"}, {"tunnel_port", 22},
                                    {"tunnel_user", "u"}, {"ssh_key", kKey}});
  EXPECT_TRUE(ValidateConfig(schema, with_key).empty());
  EXPECT_EQ(MaskSecrets(schema, with_key)["tunnel_method"]["ssh_key"], "**********");
  const Json with_password = WithTunnel({{"tunnel_method", "SSH_PASSWORD_AUTH"}, {"tunnel_host", "b"},
                                         {"tunnel_port", 22}, {"tunnel_user", "u"}, {"tunnel_user_password", "p"}});
  EXPECT_TRUE(ValidateConfig(schema, with_password).empty());
  EXPECT_EQ(MaskSecrets(schema, with_password)["tunnel_method"]["tunnel_user_password"], "**********");
  EXPECT_FALSE(ValidateConfig(schema, WithTunnel({{"tunnel_method", "SSH_KEY_AUTH"}, {"tunnel_host", "b"}})).empty());
}

TEST(SshTunnelConfigTest, OpenWithoutTunnelIsNull) {
  auto r = OpenTunnel(TunnelConfig{}, "db", 5432, 1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->get(), nullptr);
}

TEST(SshTunnelConfigTest, UnreachableSshServerNamesHostAndPort) {
  TunnelConfig t;
  t.method = TunnelMethod::kSshPassword;
  t.host = "127.0.0.1";
  t.port = 1;  // nothing listens on port 1
  t.user = "u";
  t.password = "pw-Not-In-Messages";
  auto r = OpenTunnel(t, "db", 5432, 2);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().failure_type(), FailureType::kTransient);
  EXPECT_NE(r.status().message().find("tunnel_method.tunnel_host / tunnel_method.tunnel_port"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("127.0.0.1:1"), std::string::npos) << r.status().message();
  EXPECT_EQ(r.status().message().find("pw-Not-In-Messages"), std::string::npos);

  t.host = "no-such-host.invalid";
  auto unresolved = OpenTunnel(t, "db", 5432, 2);
  ASSERT_FALSE(unresolved.ok());
  EXPECT_EQ(unresolved.status().failure_type(), FailureType::kConfig);
  EXPECT_NE(unresolved.status().message().find("tunnel_method.tunnel_host: SSH tunnel: cannot resolve"),
            std::string::npos)
      << unresolved.status().message();
}

}  // namespace
}  // namespace sluice
