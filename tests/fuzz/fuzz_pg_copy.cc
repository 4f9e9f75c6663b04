// PostgreSQL binary COPY decoding: the first byte gives the column count (1–8), the next bytes
// each column's decoder (and an array's element decoder), the rest is the COPY stream, fed in
// two pieces.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "connectors/sources/postgres/pg_copy_decoder.h"

namespace {

//! The column type source-postgres gives each decoder (pg_dialect.cc's type table).
sluice::TypeId TypeOf(sluice::pgbin::Decoder d) {
  using sluice::TypeId;
  using D = sluice::pgbin::Decoder;
  switch (d) {
    case D::kBool: return TypeId::kBoolean;
    case D::kInt2: case D::kInt4: case D::kInt8: case D::kOid: return TypeId::kInteger;
    case D::kFloat4: case D::kFloat8: return TypeId::kNumber;
    case D::kNumeric: return TypeId::kDecimal;
    case D::kBytea: return TypeId::kBinary;
    case D::kJson: case D::kJsonb: case D::kArray: return TypeId::kJson;
    case D::kDate: return TypeId::kDate;
    case D::kTime: return TypeId::kTimeNoTz;
    case D::kTimeTz: return TypeId::kTimeTz;
    case D::kTimestamp: return TypeId::kTimestampNoTz;
    case D::kTimestampTz: return TypeId::kTimestampTz;
    default: return TypeId::kString;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sluice;
  if (size < 2) return 0;
  const size_t columns = 1 + data[0] % 8;
  if (size < 1 + 2 * columns) return 0;
  constexpr int kDecoders = static_cast<int>(pgbin::Decoder::kArray) + 1;
  std::vector<CopyDecoder::ColumnSpec> specs;
  std::vector<Field> fields;
  for (size_t c = 0; c < columns; ++c) {
    const auto d = static_cast<pgbin::Decoder>(data[1 + 2 * c] % kDecoders);
    auto e = static_cast<pgbin::Decoder>(data[2 + 2 * c] % kDecoders);
    if (e == pgbin::Decoder::kArray) e = pgbin::Decoder::kText;
    specs.push_back({d, e});
    fields.push_back({"c" + std::to_string(c), TypeOf(d), true, {}});
  }
  auto schema = std::make_shared<const Schema>(std::move(fields));
  RecordBatch batch(schema, 0);
  CopyDecoder decoder(specs, /*cursor=*/0);
  const uint8_t* body = data + 1 + 2 * columns;
  const size_t n = size - 1 - 2 * columns;
  const size_t cut = n / 2;
  if (decoder.Feed(body, cut, batch).ok() && decoder.Feed(body + cut, n - cut, batch).ok()) (void)decoder.Finish();
  return 0;
}
