// Pipeline files (YAML): any text is parsed into a pipeline or a clear error.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cli/pipeline.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)sluice::ParsePipeline(std::string_view(reinterpret_cast<const char*>(data), size), "/tmp/fuzz.yaml");
  return 0;
}
