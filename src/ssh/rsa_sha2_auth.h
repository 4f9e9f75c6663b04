#pragma once
// RSA keys with rsa-sha2-256 signatures, for libssh2 1.10 (Debian 12): its own RSA signing uses
// ssh-rsa (SHA-1), which OpenSSH 8.8 and later refuse by default. Here the key is read with
// OpenSSL (PEM, PKCS#8, or the unencrypted OpenSSH format), and libssh2's callback API sends
// the public key under the algorithm name rsa-sha2-256 with a SHA-256 PKCS#1 signature
// (RFC 8332). Private to ssh/; called by SshTunnel::Open on its thread, blocking session.

#include <libssh2.h>

#include <string>
#include <string_view>

namespace sluice {

enum class RsaSha2Attempt {
  kNotRsa,         //!< not an RSA key, or unreadable here: let libssh2 try it
  kRefused,        //!< tried; the server said no (it may only know ssh-rsa): let libssh2 try
  kAuthenticated,  //!< the session is authenticated
};

RsaSha2Attempt TryRsaSha2Auth(LIBSSH2_SESSION* session, const std::string& user, const std::string& key_text);

//! True when `text` is an OpenSSH-format private key whose cipher is not "none".
bool OpenSshKeyIsEncrypted(std::string_view text);

}  // namespace sluice
