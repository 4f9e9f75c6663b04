#include "security/sodium_util.h"

#include <sodium.h>

#include <mutex>

namespace sluice {

namespace {

int SodiumVariant(Base64Variant variant) {
  return variant == Base64Variant::kStandard ? sodium_base64_VARIANT_ORIGINAL
                                             : sodium_base64_VARIANT_URLSAFE_NO_PADDING;
}

}  // namespace

Status EnsureSodium() {
  static std::once_flag once;
  static int result = -1;
  std::call_once(once, [] { result = sodium_init(); });  // 0: done now, 1: already done
  if (result < 0) return Status::SystemError("cannot initialise libsodium (no entropy source?)");
  return Status::Ok();
}

std::string Base64Encode(std::string_view bytes, Base64Variant variant) {
  const int v = SodiumVariant(variant);
  std::string out(sodium_base64_encoded_len(bytes.size(), v), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), v);
  out.resize(out.size() - 1);  // the encoded length counts the terminating NUL
  return out;
}

Result<std::string> Base64Decode(std::string_view text, Base64Variant variant) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(),
                        /*ignore=*/nullptr, &len, &end, SodiumVariant(variant)) != 0 ||
      end != text.data() + text.size()) {
    return Status::ConfigError("not valid base64");
  }
  out.resize(len);
  return out;
}

}  // namespace sluice
