// The XML parser of S3 responses (ListObjectsV2, errors, multipart uploads).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "s3/xml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)sluice::ParseXml(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
