// The Parquet reader: footer (Thrift compact), schema, pages (PLAIN, dictionary, RLE/bit-packed
// levels, compression) — every row read until the end or the first error.
#include <cstddef>
#include <cstdint>
#include <string>

#include "formats/parquet/parquet_reader.h"
#include "io/random_access_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sluice;
  auto reader = ParquetReader::Open(
      MakeStringRandomAccessFile(std::string(reinterpret_cast<const char*>(data), size), "fuzz.parquet"));
  if (!reader.ok()) return 0;
  RecordBatch batch((*reader)->schema(), 0);
  for (int i = 0; i < 1000; ++i) {
    batch.Clear();
    Result<bool> more = (*reader)->Next(batch, 1024);
    if (!more.ok() || !*more) break;
  }
  return 0;
}
