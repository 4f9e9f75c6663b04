// CSV reader: the first byte picks the dialect (delimiter, quoting, escape, header, malformed
// rows skipped or not), the rest is the file; every row is read to the end or the first error.
#include <cstddef>
#include <cstdint>
#include <string>

#include "formats/csv/csv_reader.h"
#include "io/input_stream.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sluice;
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  CsvOptions o;
  o.delimiter = "\t,;|"[mode & 3];
  o.quote_char = (mode & 4) ? '\'' : '"';
  if (mode & 8) o.escape_char = '\\';
  o.header = (mode & 16) == 0;
  o.skip_malformed_rows = (mode & 32) != 0;
  o.skip_rows_before_header = (mode & 64) ? 1 : 0;
  o.chunk_bytes = (mode & 128) ? 7 : 4096;  // tiny chunks: rows across refills
  auto reader = CsvReader::Open(MakeStringInputStream(std::string(reinterpret_cast<const char*>(data) + 1, size - 1),
                                                      "fuzz.csv"),
                                o);
  if (!reader.ok()) return 0;
  size_t cells = 0;
  for (int rows = 0; rows < 100000; ++rows) {
    Result<bool> more = (*reader)->Next();
    if (!more.ok() || !*more) break;
    for (std::string_view cell : (*reader)->row()) cells += cell.size();
  }
  return cells == SIZE_MAX;  // keeps the loop from being optimized away
}
