// The connector-config validator: the input is a JSON array [spec schema, config]; validation,
// defaults, secret paths and masking must never crash on any schema or config.
#include <cstddef>
#include <cstdint>

#include "base/json.h"
#include "protocol/config_validator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using sluice::Json;
  Json doc = Json::parse(reinterpret_cast<const char*>(data), reinterpret_cast<const char*>(data) + size, nullptr,
                         /*allow_exceptions=*/false);
  if (!doc.is_array() || doc.size() != 2) return 0;
  const Json& schema = doc[0];
  const Json& config = doc[1];
  (void)sluice::ValidateConfig(schema, config);
  (void)sluice::ApplyDefaults(schema, config);
  (void)sluice::SecretPaths(schema, config);
  (void)sluice::MaskSecrets(schema, config);
  (void)sluice::PrepareConfig(schema, config, "fuzz");
  return 0;
}
