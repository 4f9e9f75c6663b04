// The parts of ssh/ that need no SSH server; tests/e2e/test_ssh_tunnel.py runs tunnels through a
// real OpenSSH server.
#include "ssh/ssh_tunnel.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(SshTunnelTest, Base64NoPaddingMatchesOpenSshFingerprints) {
  EXPECT_EQ(Base64NoPadding(""), "");
  EXPECT_EQ(Base64NoPadding("f"), "Zg");
  EXPECT_EQ(Base64NoPadding("fo"), "Zm8");
  EXPECT_EQ(Base64NoPadding("foo"), "Zm9v");
  EXPECT_EQ(Base64NoPadding("foob"), "Zm9vYg");
  EXPECT_EQ(Base64NoPadding(std::string("\xff\xfe\x00", 3)), "//4A");
}

TEST(SshTunnelTest, PrivateKeyProblems) {
  EXPECT_EQ(SshPrivateKeyProblem("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ==\n"
                                 "-----END OPENSSH PRIVATE KEY-----\n"),
            std::nullopt);
  EXPECT_EQ(SshPrivateKeyProblem("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n"), std::nullopt);
  EXPECT_EQ(SshPrivateKeyProblem("  \n"), "is empty");
  EXPECT_NE(SshPrivateKeyProblem("ssh-rsa AAAAB3Nza user@host")->find("public key"), std::string::npos);
  EXPECT_NE(SshPrivateKeyProblem("PuTTY-User-Key-File-3: ssh-ed25519")->find("PuTTY"), std::string::npos);
  EXPECT_NE(SshPrivateKeyProblem("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMII\n-----END ENCRYPTED PRIVATE KEY-----")
                ->find("encrypted"),
            std::string::npos);
  EXPECT_NE(SshPrivateKeyProblem("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\n"
                                 "MII\n-----END RSA PRIVATE KEY-----")
                ->find("encrypted"),
            std::string::npos);
  // An OpenSSH key whose cipher is aes256-ctr: "openssh-key-v1\0" + string "aes256-ctr" + …
  const std::string encrypted =
      "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAGYmNyeXB0\n"
      "-----END OPENSSH PRIVATE KEY-----\n";
  ASSERT_TRUE(SshPrivateKeyProblem(encrypted).has_value());
  EXPECT_NE(SshPrivateKeyProblem(encrypted)->find("passphrase"), std::string::npos);
  EXPECT_NE(SshPrivateKeyProblem("hello")->find("not a private key"), std::string::npos);
}

TEST(SshTunnelTest, RefusedAndUnresolvableServersSayWhichStep) {
  SshTunnelOptions o;
  o.ssh_host = "127.0.0.1";
  o.ssh_port = 1;
  o.user = "u";
  o.password = "pw";
  o.target_host = "db";
  o.target_port = 5432;
  o.connect_timeout_seconds = 2;
  SshTunnelStep step = SshTunnelStep::kLocal;
  auto refused = SshTunnel::Open(o, &step);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(step, SshTunnelStep::kConnect);
  EXPECT_EQ(refused.status().failure_type(), FailureType::kTransient);
  EXPECT_NE(refused.status().message().find("cannot connect to the SSH server at 127.0.0.1:1"), std::string::npos)
      << refused.status().message();

  o.ssh_host = "no-such-host.invalid";
  auto unresolved = SshTunnel::Open(o, &step);
  ASSERT_FALSE(unresolved.ok());
  EXPECT_EQ(step, SshTunnelStep::kResolve);
  EXPECT_EQ(unresolved.status().failure_type(), FailureType::kConfig);
}

}  // namespace
}  // namespace sluice
