#include "ssh/rsa_sha2_auth.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>

namespace sluice {

namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

std::optional<std::string> Base64Decode(std::string_view text) {
  std::string compact;
  for (char c : text) {
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') compact += c;
  }
  if (compact.empty() || compact.size() % 4 != 0) return std::nullopt;
  std::string out(compact.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(compact.data()), static_cast<int>(compact.size()));
  if (n < 0) return std::nullopt;
  size_t length = static_cast<size_t>(n);
  if (compact.ends_with("==")) {
    length -= 2;
  } else if (compact.ends_with("=")) {
    length -= 1;
  }
  out.resize(length);
  return out;
}

//! The bytes between an OpenSSH key's BEGIN and END lines, decoded.
std::optional<std::string> OpenSshKeyBytes(std::string_view text) {
  static constexpr std::string_view kBegin = "-----BEGIN OPENSSH PRIVATE KEY-----";
  static constexpr std::string_view kEnd = "-----END OPENSSH PRIVATE KEY-----";
  const size_t b = text.find(kBegin);
  const size_t e = text.find(kEnd);
  if (b == std::string_view::npos || e == std::string_view::npos || e < b) return std::nullopt;
  return Base64Decode(text.substr(b + kBegin.size(), e - b - kBegin.size()));
}

//! Reads SSH wire strings (uint32 length + bytes).
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  std::optional<uint32_t> U32() {
    if (data_.size() < 4) return std::nullopt;
    const auto* p = reinterpret_cast<const unsigned char*>(data_.data());
    const uint32_t v = (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
    data_.remove_prefix(4);
    return v;
  }
  std::optional<std::string_view> String() {
    auto n = U32();
    if (!n || data_.size() < *n) return std::nullopt;
    std::string_view s = data_.substr(0, *n);
    data_.remove_prefix(*n);
    return s;
  }
  bool Skip(size_t n) {
    if (data_.size() < n) return false;
    data_.remove_prefix(n);
    return true;
  }

 private:
  std::string_view data_;
};

constexpr std::string_view kMagic("openssh-key-v1\0", 15);

//! RSA from an unencrypted OpenSSH key (n, e, d are enough to sign).
Pkey RsaFromOpenSsh(std::string_view text) {
  auto bytes = OpenSshKeyBytes(text);
  if (!bytes || !bytes->starts_with(kMagic)) return nullptr;
  Reader r(std::string_view(*bytes).substr(kMagic.size()));
  auto cipher = r.String();
  auto kdf = r.String();
  auto kdf_options = r.String();
  auto count = r.U32();
  auto public_blob = r.String();
  auto private_blob = r.String();
  if (!cipher || *cipher != "none" || !kdf || !kdf_options || !count || *count != 1 || !public_blob || !private_blob) {
    return nullptr;
  }
  Reader p(*private_blob);
  auto check1 = p.U32();
  auto check2 = p.U32();
  auto type = p.String();
  if (!check1 || !check2 || *check1 != *check2 || !type || *type != "ssh-rsa") return nullptr;
  auto n = p.String();
  auto e = p.String();
  auto d = p.String();
  if (!n || !e || !d) return nullptr;
  auto bn = [](std::string_view s) {
    return BN_bin2bn(reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()), nullptr);
  };
  BIGNUM* bn_n = bn(*n);
  BIGNUM* bn_e = bn(*e);
  BIGNUM* bn_d = bn(*d);
  OSSL_PARAM_BLD* build = OSSL_PARAM_BLD_new();
  OSSL_PARAM* params = nullptr;
  EVP_PKEY* key = nullptr;
  if (bn_n && bn_e && bn_d && build && OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_N, bn_n) &&
      OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_E, bn_e) &&
      OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_D, bn_d) && (params = OSSL_PARAM_BLD_to_param(build))) {
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr);
    if (ctx != nullptr && EVP_PKEY_fromdata_init(ctx) > 0) EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_KEYPAIR, params);
    EVP_PKEY_CTX_free(ctx);
  }
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(build);
  BN_clear_free(bn_d);
  BN_free(bn_e);
  BN_free(bn_n);
  return Pkey(key);
}

//! RSA from PEM ("RSA PRIVATE KEY", "PRIVATE KEY"); never asks for a passphrase.
Pkey RsaFromPem(const std::string& text) {
  BIO* bio = BIO_new_mem_buf(text.data(), static_cast<int>(text.size()));
  if (bio == nullptr) return nullptr;
  auto no_passphrase = [](char*, int, int, void*) -> int { return 0; };
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, no_passphrase, nullptr);
  BIO_free(bio);
  if (key != nullptr && EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
    EVP_PKEY_free(key);
    key = nullptr;
  }
  return Pkey(key);
}

void PutString(std::string& out, std::string_view s) {
  const uint32_t n = static_cast<uint32_t>(s.size());
  const char len[4] = {char(n >> 24), char(n >> 16), char(n >> 8), char(n)};
  out.append(len, 4);
  out.append(s);
}

bool PutMpint(std::string& out, EVP_PKEY* key, const char* name) {
  BIGNUM* v = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &v) != 1) return false;
  const int size = BN_bn2mpi(v, nullptr);  // SSH's mpint: 4-byte length, two's complement big-endian
  std::string mpi(static_cast<size_t>(size), '\0');
  BN_bn2mpi(v, reinterpret_cast<unsigned char*>(mpi.data()));
  BN_free(v);
  out += mpi;
  return true;
}

int SignSha256(LIBSSH2_SESSION*, unsigned char** sig, size_t* sig_len, const unsigned char* data, size_t data_len,
               void** abstract) {
  EVP_PKEY* key = static_cast<EVP_PKEY*>(*abstract);
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  size_t length = 0;
  int rc = -1;
  if (md != nullptr && EVP_DigestSignInit(md, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestSign(md, nullptr, &length, data, data_len) == 1) {
    // libssh2 frees the signature with its allocator: the default one is malloc/free.
    *sig = static_cast<unsigned char*>(std::malloc(length));
    if (*sig != nullptr && EVP_DigestSign(md, *sig, &length, data, data_len) == 1) {
      *sig_len = length;
      rc = 0;
    } else {
      std::free(*sig);
      *sig = nullptr;
    }
  }
  EVP_MD_CTX_free(md);
  return rc;
}

}  // namespace

bool OpenSshKeyIsEncrypted(std::string_view text) {
  auto bytes = OpenSshKeyBytes(text);
  if (!bytes || !bytes->starts_with(kMagic)) return false;
  Reader r(std::string_view(*bytes).substr(kMagic.size()));
  auto cipher = r.String();
  return cipher && *cipher != "none";
}

RsaSha2Attempt TryRsaSha2Auth(LIBSSH2_SESSION* session, const std::string& user, const std::string& key_text) {
  Pkey key = key_text.find("BEGIN OPENSSH PRIVATE KEY") != std::string::npos ? RsaFromOpenSsh(key_text)
                                                                              : RsaFromPem(key_text);
  if (!key) return RsaSha2Attempt::kNotRsa;
  // The key blob under the signature algorithm's name: libssh2 sends its first string as the
  // request's algorithm, and OpenSSH reads "rsa-sha2-256" as an RSA key type.
  std::string blob;
  PutString(blob, "rsa-sha2-256");
  if (!PutMpint(blob, key.get(), OSSL_PKEY_PARAM_RSA_E) || !PutMpint(blob, key.get(), OSSL_PKEY_PARAM_RSA_N)) {
    return RsaSha2Attempt::kNotRsa;
  }
  void* abstract = key.get();
  const int rc = libssh2_userauth_publickey(session, user.c_str(), reinterpret_cast<const unsigned char*>(blob.data()),
                                            blob.size(), SignSha256, &abstract);
  return rc == 0 ? RsaSha2Attempt::kAuthenticated : RsaSha2Attempt::kRefused;
}

}  // namespace sluice
