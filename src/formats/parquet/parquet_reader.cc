#include "formats/parquet/parquet_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <set>
#include <type_traits>

#include <fmt/format.h>

#include "io/output_stream.h"  // FileErrorStatus
#include "formats/parquet/page_compression.h"
#include "formats/parquet/parquet_metadata.h"
#include "formats/parquet/parquet_schema.h"
#include "formats/parquet/rle_encoding.h"
#include "formats/parquet/parquet_writer.h"  // kParquetJsonSchemaKey

namespace sluice {

namespace pq = parquet;

namespace {

//! Values in one data page at most (writers cut pages at about 1 MB or 20,000 rows).
constexpr size_t kMaxReadPageValues = size_t{1} << 26;


constexpr uint64_t kMaxFooterBytes = 256ull << 20;
constexpr int64_t kJulianEpochDay = 2440588;  // 1970-01-01 as a Julian day number (INT96)

// ---- Files ----------------------------------------------------------------------------------


// ---- Type plan ------------------------------------------------------------------------------

//! How a column's decoded physical values become internal values.
enum class Conv : uint8_t {
  kBool,          // BOOLEAN → ints (0/1)
  kInt,           // INT32/INT64 → ints
  kUInt32,        // unsigned INT32 → ints
  kUInt64Text,    // unsigned INT64 → decimal text
  kDate,          // INT32 days → ints
  kTime,          // INT32/INT64 in `unit` → ints (µs)
  kTimestamp,     // INT64 in `unit` → ints (µs)
  kInt96,         // INT96 → ints (µs), converted while decoding
  kDouble,        // FLOAT/DOUBLE → doubles
  kFloat16,       // FIXED[2] → doubles
  kBytes,         // BYTE_ARRAY / FIXED → views
  kUuid,          // FIXED[16] → canonical text
  kDecimalInt,    // INT32/INT64 unscaled → decimal text
  kDecimalBytes,  // BYTE_ARRAY/FIXED big-endian unscaled → decimal text
};

enum class Family : uint8_t { kInts, kDoubles, kViews };

Family FamilyOf(Conv c) {
  switch (c) {
    case Conv::kBool:
    case Conv::kInt:
    case Conv::kUInt32:
    case Conv::kDate:
    case Conv::kTime:
    case Conv::kTimestamp:
    case Conv::kInt96: return Family::kInts;
    case Conv::kDouble:
    case Conv::kFloat16: return Family::kDoubles;
    default: return Family::kViews;
  }
}

struct Leaf {
  std::string name;
  pq::Type physical = pq::Type::kInt64;
  int32_t type_length = 0;
  bool optional = true;
  Conv conv = Conv::kInt;
  TypeId type = TypeId::kInteger;
  int32_t scale = 0;
  int32_t precision = 0;
  pq::TimeUnit unit = pq::TimeUnit::kMicros;
  Json json_schema;
};

std::string_view PhysicalName(pq::Type t) {
  switch (t) {
    case pq::Type::kBoolean: return "BOOLEAN";
    case pq::Type::kInt32: return "INT32";
    case pq::Type::kInt64: return "INT64";
    case pq::Type::kInt96: return "INT96";
    case pq::Type::kFloat: return "FLOAT";
    case pq::Type::kDouble: return "DOUBLE";
    case pq::Type::kByteArray: return "BYTE_ARRAY";
    case pq::Type::kFixedLenByteArray: return "FIXED_LEN_BYTE_ARRAY";
  }
  return "UNKNOWN";
}

Result<Leaf> PlanLeaf(const pq::SchemaElement& e) {
  using K = pq::LogicalType::Kind;
  using CT = pq::ConvertedType;
  Leaf leaf;
  leaf.name = e.name;
  leaf.physical = *e.type;
  leaf.type_length = e.type_length.value_or(0);
  leaf.optional = e.repetition.value_or(pq::Repetition::kOptional) != pq::Repetition::kRequired;
  const pq::LogicalType& lt = e.logical;
  const std::optional<CT> ct = e.converted_type;
  const bool decimal = lt.kind == K::kDecimal || ct == CT::kDecimal;
  if (decimal) {
    leaf.scale = lt.kind == K::kDecimal ? lt.scale : e.scale.value_or(0);
    leaf.precision = lt.kind == K::kDecimal ? lt.precision : e.precision.value_or(0);
  }
  auto set = [&](Conv conv, TypeId type) {
    leaf.conv = conv;
    leaf.type = type;
  };
  switch (leaf.physical) {
    case pq::Type::kBoolean: set(Conv::kBool, TypeId::kBoolean); break;
    case pq::Type::kInt32:
      if (lt.kind == K::kDate || ct == CT::kDate) {
        set(Conv::kDate, TypeId::kDate);
      } else if (lt.kind == K::kTime || ct == CT::kTimeMillis) {
        leaf.unit = pq::TimeUnit::kMillis;
        set(Conv::kTime, lt.kind == K::kTime && !lt.adjusted_to_utc ? TypeId::kTimeNoTz : TypeId::kTimeTz);
      } else if (decimal) {
        set(Conv::kDecimalInt, TypeId::kDecimal);
      } else if ((lt.kind == K::kInteger && !lt.is_signed) || ct == CT::kUint8 || ct == CT::kUint16 ||
                 ct == CT::kUint32) {
        set(Conv::kUInt32, TypeId::kInteger);
      } else {
        set(Conv::kInt, TypeId::kInteger);
      }
      break;
    case pq::Type::kInt64:
      if (lt.kind == K::kTimestamp || ct == CT::kTimestampMillis || ct == CT::kTimestampMicros) {
        leaf.unit = lt.kind == K::kTimestamp ? lt.unit
                                             : (ct == CT::kTimestampMillis ? pq::TimeUnit::kMillis : pq::TimeUnit::kMicros);
        set(Conv::kTimestamp,
            lt.kind == K::kTimestamp && !lt.adjusted_to_utc ? TypeId::kTimestampNoTz : TypeId::kTimestampTz);
      } else if (lt.kind == K::kTime || ct == CT::kTimeMicros) {
        leaf.unit = lt.kind == K::kTime ? lt.unit : pq::TimeUnit::kMicros;
        set(Conv::kTime, lt.kind == K::kTime && !lt.adjusted_to_utc ? TypeId::kTimeNoTz : TypeId::kTimeTz);
      } else if (decimal) {
        set(Conv::kDecimalInt, TypeId::kDecimal);
      } else if ((lt.kind == K::kInteger && !lt.is_signed) || ct == CT::kUint64) {
        set(Conv::kUInt64Text, TypeId::kDecimal);
      } else {
        set(Conv::kInt, TypeId::kInteger);
      }
      break;
    case pq::Type::kInt96: set(Conv::kInt96, TypeId::kTimestampNoTz); break;
    case pq::Type::kFloat:
    case pq::Type::kDouble: set(Conv::kDouble, TypeId::kNumber); break;
    case pq::Type::kByteArray:
      if (decimal) {
        set(Conv::kDecimalBytes, TypeId::kDecimal);
      } else if (lt.kind == K::kString || lt.kind == K::kEnum || ct == CT::kUtf8 || ct == CT::kEnum) {
        set(Conv::kBytes, TypeId::kString);
      } else if (lt.kind == K::kJson || ct == CT::kJson) {
        set(Conv::kBytes, TypeId::kJson);
      } else {
        set(Conv::kBytes, TypeId::kBinary);
      }
      break;
    case pq::Type::kFixedLenByteArray:
      if (leaf.type_length <= 0) {
        return Status::ConfigError(fmt::format("column '{}': FIXED_LEN_BYTE_ARRAY without a length", e.name));
      }
      if (decimal) {
        set(Conv::kDecimalBytes, TypeId::kDecimal);
      } else if (lt.kind == K::kUuid && leaf.type_length == 16) {
        set(Conv::kUuid, TypeId::kString);
      } else if (lt.kind == K::kFloat16 && leaf.type_length == 2) {
        set(Conv::kFloat16, TypeId::kNumber);
      } else {
        set(Conv::kBytes, TypeId::kBinary);
      }
      break;
    default:
      return Status::ConfigError(
          fmt::format("column '{}': unknown Parquet physical type {}", e.name, static_cast<int>(leaf.physical)));
  }
  if (decimal && (leaf.scale < 0 || leaf.scale > 76)) {
    return Status::ConfigError(fmt::format("column '{}': DECIMAL scale {} is out of range", e.name, leaf.scale));
  }
  leaf.json_schema = JsonSchemaForType(leaf.type, leaf.optional);
  if (leaf.type == TypeId::kDecimal && decimal && leaf.precision > 0) {
    leaf.json_schema["precision"] = leaf.precision;
    leaf.json_schema["scale"] = leaf.scale;
  }
  if (leaf.conv == Conv::kUuid) leaf.json_schema["format"] = "uuid";
  return leaf;
}

// ---- Value decoding helpers -----------------------------------------------------------------

Status Corrupt(std::string_view what) { return Status::ConfigError(fmt::format("corrupt page: {}", what)); }

bool ReadVarint(const uint8_t*& p, const uint8_t* end, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (p >= end) return false;
    const uint8_t b = *p++;
    v |= static_cast<uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

//! DELTA_BINARY_PACKED: appends `count` values (at most) to `out`; advances `p` past the data
//! it used.
Status DecodeDeltaBinaryPacked(const uint8_t*& p, const uint8_t* end, std::vector<int64_t>& out) {
  uint64_t block_size, miniblocks, total, first;
  if (!ReadVarint(p, end, block_size) || !ReadVarint(p, end, miniblocks) || !ReadVarint(p, end, total) ||
      !ReadVarint(p, end, first)) {
    return Corrupt("DELTA_BINARY_PACKED header");
  }
  if (block_size == 0 || miniblocks == 0 || block_size % miniblocks != 0 || (block_size / miniblocks) % 8 != 0 ||
      block_size > (1u << 20) || total > (1ull << 31)) {
    return Corrupt("DELTA_BINARY_PACKED block sizes");
  }
  const size_t per_mini = static_cast<size_t>(block_size / miniblocks);
  std::vector<uint64_t> tmp(per_mini);
  if (total == 0) return Status::Ok();
  uint64_t last = static_cast<uint64_t>(UnZigZag(first));
  out.push_back(static_cast<int64_t>(last));
  uint64_t remaining = total - 1;
  while (remaining > 0) {
    uint64_t zz;
    if (!ReadVarint(p, end, zz)) return Corrupt("DELTA_BINARY_PACKED min delta");
    const uint64_t min_delta = static_cast<uint64_t>(UnZigZag(zz));
    if (static_cast<uint64_t>(end - p) < miniblocks) return Corrupt("DELTA_BINARY_PACKED bit widths");
    const uint8_t* widths = p;
    p += miniblocks;
    for (uint64_t m = 0; m < miniblocks && remaining > 0; ++m) {
      const int w = widths[m];
      if (w > 64) return Corrupt("DELTA_BINARY_PACKED bit width > 64");
      const size_t bytes = per_mini * static_cast<size_t>(w) / 8;
      if (static_cast<size_t>(end - p) < bytes) return Corrupt("DELTA_BINARY_PACKED truncated");
      pq::UnpackBits(p, w, per_mini, tmp.data());
      p += bytes;
      const size_t take = static_cast<size_t>(std::min<uint64_t>(per_mini, remaining));
      for (size_t j = 0; j < take; ++j) {
        last += min_delta + tmp[j];
        out.push_back(static_cast<int64_t>(last));
      }
      remaining -= take;
    }
  }
  return Status::Ok();
}

double HalfToDouble(uint16_t h) {
  const int sign = (h >> 15) & 1;
  const int exponent = (h >> 10) & 0x1F;
  const int mantissa = h & 0x3FF;
  double v;
  if (exponent == 0) {
    v = std::ldexp(mantissa, -24);
  } else if (exponent == 31) {
    v = mantissa == 0 ? INFINITY : NAN;
  } else {
    v = std::ldexp(mantissa + 1024, exponent - 25);
  }
  return sign ? -v : v;
}

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

}  // namespace


// ---- ColumnReader ---------------------------------------------------------------------------

//! Decodes one column chunk page by page into internal values.
class ParquetReader::ColumnReader {
 public:
  explicit ColumnReader(const Leaf& leaf) : leaf_(leaf), family_(FamilyOf(leaf.conv)) {}

  void StartChunk(std::string chunk, pq::Codec codec, int64_t num_values) {
    chunk_ = std::move(chunk);
    pos_ = 0;
    codec_ = codec;
    chunk_values_left_ = num_values;
    has_dict_ = false;
    page_rows_ = page_row_ = value_pos_ = 0;
  }

  //! Appends the next `n` values of the chunk to `out`.
  Status Read(size_t n, Column& out) {
    while (n > 0) {
      if (page_row_ == page_rows_) SLUICE_RETURN_IF_ERROR(NextPage());
      const size_t k = std::min(n, page_rows_ - page_row_);
      switch (family_) {
        case Family::kInts: Emit(k, out, ints_); break;
        case Family::kDoubles: Emit(k, out, doubles_); break;
        case Family::kViews: Emit(k, out, views_); break;
      }
      n -= k;
    }
    return Status::Ok();
  }

 private:
  template <typename T>
  void Emit(size_t k, Column& out, const std::vector<T>& values) {
    const size_t end = page_row_ + k;
    for (size_t r = page_row_; r < end; ++r) {
      if (page_has_nulls_ && defs_[r] == 0) {
        out.AppendNull();
        continue;
      }
      const T& v = values[value_pos_++];
      if constexpr (std::is_same_v<T, int64_t>) {
        switch (leaf_.type) {
          case TypeId::kBoolean: out.AppendBool(v != 0); break;
          case TypeId::kDate: out.AppendInt32(static_cast<int32_t>(v)); break;
          default: out.AppendInt64(v); break;
        }
      } else if constexpr (std::is_same_v<T, double>) {
        out.AppendDouble(v);
      } else {
        out.AppendBytes(v);
      }
    }
    page_row_ = end;
  }

  // Loads the next data page (reading a dictionary page first if there is one).
  Status NextPage() {
    for (;;) {
      if (chunk_values_left_ <= 0 || pos_ >= chunk_.size()) {
        return Status::ConfigError("the column chunk has fewer values than its row group's rows");
      }
      pq::PageHeader h;
      size_t header_size = 0;
      SLUICE_RETURN_IF_ERROR(pq::ParsePageHeader(reinterpret_cast<const uint8_t*>(chunk_.data()) + pos_,
                                                 chunk_.size() - pos_, h, header_size));
      pos_ += header_size;
      const size_t size = static_cast<size_t>(h.compressed_page_size);
      if (size > chunk_.size() - pos_) return Corrupt("a page runs past the end of its column chunk");
      const std::string_view body(chunk_.data() + pos_, size);
      pos_ += size;
      switch (h.type) {
        case pq::PageType::kDictionaryPage:
          if (!h.dictionary_page_header) return Corrupt("dictionary page without its header");
          SLUICE_RETURN_IF_ERROR(LoadDictionary(h, body));
          continue;
        case pq::PageType::kDataPage:
          if (!h.data_page_header) return Corrupt("data page without its header");
          SLUICE_RETURN_IF_ERROR(LoadDataPageV1(h, body));
          break;
        case pq::PageType::kDataPageV2:
          if (!h.data_page_header_v2) return Corrupt("data page v2 without its header");
          SLUICE_RETURN_IF_ERROR(LoadDataPageV2(h, body));
          break;
        default: continue;  // index pages and unknown page types carry no values
      }
      if (page_rows_ == 0) continue;
      chunk_values_left_ -= static_cast<int64_t>(page_rows_);
      return Status::Ok();
    }
  }

  // Points `data` at the page's uncompressed bytes (decompressing into `buf` when needed).
  Status Uncompressed(std::string_view body, size_t uncompressed_size, bool compressed, std::string& buf,
                      std::string_view& data) {
    if (!compressed || codec_ == pq::Codec::kUncompressed) {
      data = body;
      return Status::Ok();
    }
    SLUICE_RETURN_IF_ERROR(decompressor_.Decompress(codec_, body, uncompressed_size, buf));
    data = buf;
    return Status::Ok();
  }

  Status LoadDictionary(const pq::PageHeader& h, std::string_view body) {
    std::string_view data;
    SLUICE_RETURN_IF_ERROR(
        Uncompressed(body, static_cast<size_t>(h.uncompressed_page_size), true, dict_buf_, data));
    if (data.data() != dict_buf_.data()) {
      dict_buf_.assign(data.data(), data.size());  // views must outlive the chunk buffer's pages
      data = dict_buf_;
    }
    const int32_t count = h.dictionary_page_header->num_values;
    if (count < 0) return Corrupt("negative dictionary size");
    ints_.clear();
    doubles_.clear();
    views_.clear();
    SLUICE_RETURN_IF_ERROR(DecodePlain(reinterpret_cast<const uint8_t*>(data.data()), data.size(),
                                       static_cast<size_t>(count), dict_decode_arena_));
    SLUICE_RETURN_IF_ERROR(Convert(dict_text_arena_));
    dict_ints_.swap(ints_);
    dict_doubles_.swap(doubles_);
    dict_views_.swap(views_);
    has_dict_ = true;
    return Status::Ok();
  }

  Status DecodeLevels(const uint8_t* p, size_t size, size_t rows) {
    levels_.resize(rows);
    pq::RleDecoder decoder(p, size, 1);
    if (decoder.Get(levels_.data(), rows) != rows) return Corrupt("definition levels");
    defs_.resize(rows);
    size_t present = 0;
    for (size_t i = 0; i < rows; ++i) {
      defs_[i] = levels_[i] != 0;
      present += defs_[i];
    }
    page_has_nulls_ = present != rows;
    nonnull_ = present;
    return Status::Ok();
  }

  //! A page's value count is allocated for (levels, values) before its bytes are decoded: it
  //! may not exceed what its column chunk has left, nor kMaxReadPageValues (found by fuzz_parquet:
  //! a header claiming 2^31 values made a multi-GB allocation).
  Status CheckPageValues(size_t rows) const {
    if (static_cast<int64_t>(rows) > chunk_values_left_) return Corrupt("a page has more values than its column chunk");
    if (rows > kMaxReadPageValues) {
      return Corrupt(fmt::format("a page has {} values, more than the {} this reader takes", rows, kMaxReadPageValues));
    }
    return Status::Ok();
  }

  Status LoadDataPageV1(const pq::PageHeader& h, std::string_view body) {
    const pq::DataPageHeader& d = *h.data_page_header;
    if (d.num_values < 0) return Corrupt("negative value count");
    std::string_view data;
    SLUICE_RETURN_IF_ERROR(Uncompressed(body, static_cast<size_t>(h.uncompressed_page_size), true, page_buf_, data));
    const uint8_t* p = reinterpret_cast<const uint8_t*>(data.data());
    const uint8_t* end = p + data.size();
    const size_t rows = static_cast<size_t>(d.num_values);
    SLUICE_RETURN_IF_ERROR(CheckPageValues(rows));
    if (leaf_.optional) {
      if (d.definition_level_encoding != pq::Encoding::kRle) {
        return Status::ConfigError(fmt::format("definition level encoding {} is not supported (only RLE)",
                                               static_cast<int>(d.definition_level_encoding)));
      }
      if (end - p < 4) return Corrupt("definition levels length");
      uint32_t len;
      std::memcpy(&len, p, 4);
      p += 4;
      if (len > static_cast<size_t>(end - p)) return Corrupt("definition levels length");
      SLUICE_RETURN_IF_ERROR(DecodeLevels(p, len, rows));
      p += len;
    } else {
      page_has_nulls_ = false;
      nonnull_ = rows;
    }
    SLUICE_RETURN_IF_ERROR(DecodeValues(d.encoding, p, static_cast<size_t>(end - p)));
    page_rows_ = rows;
    page_row_ = value_pos_ = 0;
    return Status::Ok();
  }

  Status LoadDataPageV2(const pq::PageHeader& h, std::string_view body) {
    const pq::DataPageHeaderV2& d = *h.data_page_header_v2;
    if (d.num_values < 0 || d.definition_levels_byte_length < 0 || d.repetition_levels_byte_length < 0) {
      return Corrupt("negative sizes in a data page v2 header");
    }
    const size_t rep = static_cast<size_t>(d.repetition_levels_byte_length);
    const size_t def = static_cast<size_t>(d.definition_levels_byte_length);
    if (rep + def > body.size()) return Corrupt("level lengths past the page");
    const size_t rows = static_cast<size_t>(d.num_values);
    SLUICE_RETURN_IF_ERROR(CheckPageValues(rows));
    if (leaf_.optional) {
      SLUICE_RETURN_IF_ERROR(DecodeLevels(reinterpret_cast<const uint8_t*>(body.data()) + rep, def, rows));
    } else {
      page_has_nulls_ = false;
      nonnull_ = rows;
    }
    const int64_t values_size = static_cast<int64_t>(h.uncompressed_page_size) - static_cast<int64_t>(rep + def);
    if (values_size < 0) return Corrupt("page sizes");
    std::string_view data;
    SLUICE_RETURN_IF_ERROR(Uncompressed(body.substr(rep + def), static_cast<size_t>(values_size), d.is_compressed,
                                        page_buf_, data));
    SLUICE_RETURN_IF_ERROR(DecodeValues(d.encoding, reinterpret_cast<const uint8_t*>(data.data()), data.size()));
    page_rows_ = rows;
    page_row_ = value_pos_ = 0;
    return Status::Ok();
  }

  // Decodes nonnull_ values into ints_/doubles_/views_ (converted).
  Status DecodeValues(pq::Encoding encoding, const uint8_t* p, size_t size) {
    ints_.clear();
    doubles_.clear();
    views_.clear();
    const size_t n = nonnull_;
    switch (encoding) {
      case pq::Encoding::kPlain:
        SLUICE_RETURN_IF_ERROR(DecodePlain(p, size, n, decode_arena_));
        return Convert(text_arena_);
      case pq::Encoding::kPlainDictionary:
      case pq::Encoding::kRleDictionary: return DecodeDictionaryIndices(p, size, n);
      case pq::Encoding::kRle: {
        if (leaf_.physical != pq::Type::kBoolean) break;
        if (size < 4) return Corrupt("RLE boolean length");
        uint32_t len;
        std::memcpy(&len, p, 4);
        if (len > size - 4) return Corrupt("RLE boolean length");
        indices_.resize(n);
        pq::RleDecoder decoder(p + 4, len, 1);
        if (decoder.Get(indices_.data(), n) != n) return Corrupt("RLE booleans");
        for (size_t i = 0; i < n; ++i) ints_.push_back(indices_[i] != 0);
        return Status::Ok();
      }
      case pq::Encoding::kDeltaBinaryPacked: {
        if (leaf_.physical != pq::Type::kInt32 && leaf_.physical != pq::Type::kInt64) break;
        const uint8_t* q = p;
        SLUICE_RETURN_IF_ERROR(DecodeDeltaBinaryPacked(q, p + size, ints_));
        if (ints_.size() < n) return Corrupt("DELTA_BINARY_PACKED has fewer values than the page");
        ints_.resize(n);
        if (leaf_.physical == pq::Type::kInt32) {
          for (auto& v : ints_) v = static_cast<int32_t>(v);
        }
        return Convert(text_arena_);
      }
      case pq::Encoding::kDeltaLengthByteArray: {
        if (leaf_.physical != pq::Type::kByteArray) break;
        SLUICE_RETURN_IF_ERROR(DecodeDeltaLength(p, p + size, n, views_));
        return Convert(text_arena_);
      }
      case pq::Encoding::kDeltaByteArray: {
        if (leaf_.physical != pq::Type::kByteArray && leaf_.physical != pq::Type::kFixedLenByteArray) break;
        SLUICE_RETURN_IF_ERROR(DecodeDeltaByteArray(p, p + size, n));
        return Convert(text_arena_);
      }
      case pq::Encoding::kByteStreamSplit: {
        size_t width = 0;
        switch (leaf_.physical) {
          case pq::Type::kInt32:
          case pq::Type::kFloat: width = 4; break;
          case pq::Type::kInt64:
          case pq::Type::kDouble: width = 8; break;
          case pq::Type::kFixedLenByteArray: width = static_cast<size_t>(leaf_.type_length); break;
          default: break;
        }
        if (width == 0) break;
        if (size < n * width) return Corrupt("BYTE_STREAM_SPLIT data too short");
        const size_t stride = size / width;  // values in the streams (≥ n)
        split_buf_.resize(n * width);
        for (size_t i = 0; i < n; ++i) {
          for (size_t b = 0; b < width; ++b) split_buf_[i * width + b] = static_cast<char>(p[b * stride + i]);
        }
        SLUICE_RETURN_IF_ERROR(
            DecodePlain(reinterpret_cast<const uint8_t*>(split_buf_.data()), split_buf_.size(), n, decode_arena_));
        return Convert(text_arena_);
      }
      default: break;
    }
    return Status::ConfigError(fmt::format("encoding {} is not supported for {} columns", static_cast<int>(encoding),
                                           PhysicalName(leaf_.physical)));
  }

  Status DecodeDictionaryIndices(const uint8_t* p, size_t size, size_t n) {
    if (!has_dict_) return Corrupt("dictionary-encoded page without a dictionary page");
    if (n == 0) return Status::Ok();
    if (size < 1) return Corrupt("dictionary indices");
    const int width = p[0];
    if (width > 32) return Corrupt("dictionary index bit width");
    indices_.resize(n);
    pq::RleDecoder decoder(p + 1, size - 1, width);
    if (decoder.Get(indices_.data(), n) != n) return Corrupt("dictionary indices");
    const size_t dict_size = family_ == Family::kInts      ? dict_ints_.size()
                             : family_ == Family::kDoubles ? dict_doubles_.size()
                                                           : dict_views_.size();
    for (size_t i = 0; i < n; ++i) {
      if (indices_[i] >= dict_size) return Corrupt("dictionary index out of range");
    }
    switch (family_) {
      case Family::kInts:
        ints_.resize(n);
        for (size_t i = 0; i < n; ++i) ints_[i] = dict_ints_[indices_[i]];
        break;
      case Family::kDoubles:
        doubles_.resize(n);
        for (size_t i = 0; i < n; ++i) doubles_[i] = dict_doubles_[indices_[i]];
        break;
      case Family::kViews:
        views_.resize(n);
        for (size_t i = 0; i < n; ++i) views_[i] = dict_views_[indices_[i]];
        break;
    }
    return Status::Ok();
  }

  // PLAIN values of the physical type → ints_ (BOOLEAN, INT32, INT64, INT96 as µs), doubles_
  // (FLOAT, DOUBLE) or views_ (BYTE_ARRAY, FIXED). `arena` is unused (views point into `p`).
  Status DecodePlain(const uint8_t* p, size_t size, size_t n, std::string& /*arena*/) {
    const uint8_t* end = p + size;
    switch (leaf_.physical) {
      case pq::Type::kBoolean:
        if (size * 8 < n) return Corrupt("PLAIN booleans too short");
        ints_.resize(n);
        for (size_t i = 0; i < n; ++i) ints_[i] = (p[i >> 3] >> (i & 7)) & 1;
        return Status::Ok();
      case pq::Type::kInt32:
        if (size < n * 4) return Corrupt("PLAIN INT32 too short");
        ints_.resize(n);
        for (size_t i = 0; i < n; ++i) {
          int32_t v;
          std::memcpy(&v, p + 4 * i, 4);
          ints_[i] = v;
        }
        return Status::Ok();
      case pq::Type::kInt64:
        if (size < n * 8) return Corrupt("PLAIN INT64 too short");
        ints_.resize(n);
        if (n > 0) std::memcpy(ints_.data(), p, n * 8);  // memcpy of nothing from null is undefined
        return Status::Ok();
      case pq::Type::kInt96:
        if (size < n * 12) return Corrupt("PLAIN INT96 too short");
        ints_.resize(n);
        for (size_t i = 0; i < n; ++i) {
          int64_t nanos;
          int32_t day;
          std::memcpy(&nanos, p + 12 * i, 8);
          std::memcpy(&day, p + 12 * i + 8, 4);
          ints_[i] = (static_cast<int64_t>(day) - kJulianEpochDay) * 86400000000LL + FloorDiv(nanos, 1000);
        }
        return Status::Ok();
      case pq::Type::kFloat:
        if (size < n * 4) return Corrupt("PLAIN FLOAT too short");
        doubles_.resize(n);
        for (size_t i = 0; i < n; ++i) {
          float v;
          std::memcpy(&v, p + 4 * i, 4);
          doubles_[i] = v;
        }
        return Status::Ok();
      case pq::Type::kDouble:
        if (size < n * 8) return Corrupt("PLAIN DOUBLE too short");
        doubles_.resize(n);
        if (n > 0) std::memcpy(doubles_.data(), p, n * 8);
        return Status::Ok();
      case pq::Type::kByteArray:
        views_.resize(n);
        for (size_t i = 0; i < n; ++i) {
          if (end - p < 4) return Corrupt("PLAIN BYTE_ARRAY truncated");
          uint32_t len;
          std::memcpy(&len, p, 4);
          p += 4;
          if (len > static_cast<size_t>(end - p)) return Corrupt("PLAIN BYTE_ARRAY truncated");
          views_[i] = std::string_view(reinterpret_cast<const char*>(p), len);
          p += len;
        }
        return Status::Ok();
      case pq::Type::kFixedLenByteArray: {
        const size_t w = static_cast<size_t>(leaf_.type_length);
        if (size < n * w) return Corrupt("PLAIN FIXED_LEN_BYTE_ARRAY too short");
        views_.resize(n);
        for (size_t i = 0; i < n; ++i) views_[i] = std::string_view(reinterpret_cast<const char*>(p + i * w), w);
        return Status::Ok();
      }
    }
    return Corrupt("unknown physical type");
  }

  Status DecodeDeltaLength(const uint8_t* p, const uint8_t* end, size_t n, std::vector<std::string_view>& out) {
    lengths_.clear();
    SLUICE_RETURN_IF_ERROR(DecodeDeltaBinaryPacked(p, end, lengths_));
    if (lengths_.size() < n) return Corrupt("DELTA_LENGTH_BYTE_ARRAY has fewer lengths than values");
    out.resize(n);
    for (size_t i = 0; i < n; ++i) {
      const int64_t len = lengths_[i];
      if (len < 0 || len > end - p) return Corrupt("DELTA_LENGTH_BYTE_ARRAY data truncated");
      out[i] = std::string_view(reinterpret_cast<const char*>(p), static_cast<size_t>(len));
      p += len;
    }
    return Status::Ok();
  }

  Status DecodeDeltaByteArray(const uint8_t* p, const uint8_t* end, size_t n) {
    prefixes_.clear();
    SLUICE_RETURN_IF_ERROR(DecodeDeltaBinaryPacked(p, end, prefixes_));
    if (prefixes_.size() < n) return Corrupt("DELTA_BYTE_ARRAY has fewer prefixes than values");
    std::vector<std::string_view> suffixes;
    SLUICE_RETURN_IF_ERROR(DecodeDeltaLength(p, end, n, suffixes));
    decode_arena_.clear();
    offsets_.resize(n + 1);
    offsets_[0] = 0;
    size_t prev_begin = 0, prev_len = 0;
    for (size_t i = 0; i < n; ++i) {
      const int64_t prefix = prefixes_[i];
      if (prefix < 0 || static_cast<size_t>(prefix) > prev_len) return Corrupt("DELTA_BYTE_ARRAY prefix too long");
      const size_t begin = decode_arena_.size();
      decode_arena_.append(decode_arena_, prev_begin, static_cast<size_t>(prefix));
      decode_arena_.append(suffixes[i].data(), suffixes[i].size());
      prev_begin = begin;
      prev_len = decode_arena_.size() - begin;
      offsets_[i + 1] = decode_arena_.size();
    }
    views_.resize(n);
    for (size_t i = 0; i < n; ++i) {
      views_[i] = std::string_view(decode_arena_.data() + offsets_[i], offsets_[i + 1] - offsets_[i]);
    }
    return Status::Ok();
  }

  // Turns decoded physical values into internal values, in place; text goes to `arena`.
  Status Convert(std::string& arena) {
    switch (leaf_.conv) {
      case Conv::kBool:
      case Conv::kInt:
      case Conv::kDate:
      case Conv::kInt96:
      case Conv::kDouble:
      case Conv::kBytes: return Status::Ok();
      case Conv::kUInt32:
        for (auto& v : ints_) v = static_cast<uint32_t>(v);
        return Status::Ok();
      case Conv::kTime:
      case Conv::kTimestamp:
        if (leaf_.unit == pq::TimeUnit::kMillis) {
          for (auto& v : ints_) v *= 1000;
        } else if (leaf_.unit == pq::TimeUnit::kNanos) {
          for (auto& v : ints_) v = FloorDiv(v, 1000);
        }
        return Status::Ok();
      case Conv::kFloat16:
        doubles_.resize(views_.size());
        for (size_t i = 0; i < views_.size(); ++i) {
          uint16_t h;
          std::memcpy(&h, views_[i].data(), 2);
          doubles_[i] = HalfToDouble(h);
        }
        views_.clear();
        return Status::Ok();
      case Conv::kUuid:
        return ToText(arena, views_.size(), [&](size_t i, std::string& out) {
          pq::AppendUuid(out, reinterpret_cast<const uint8_t*>(views_[i].data()));
          return true;
        });
      case Conv::kUInt64Text:
        return ToText(arena, ints_.size(), [&](size_t i, std::string& out) {
          out += fmt::format("{}", static_cast<uint64_t>(ints_[i]));
          return true;
        });
      case Conv::kDecimalInt:
        return ToText(arena, ints_.size(), [&](size_t i, std::string& out) {
          pq::AppendDecimal(out, static_cast<__int128>(ints_[i]), leaf_.scale);
          return true;
        });
      case Conv::kDecimalBytes:
        return ToText(arena, views_.size(), [&](size_t i, std::string& out) {
          std::string_view b = views_[i];
          // Drop sign-extension bytes so up to 16 significant bytes fit an int128.
          while (b.size() > 16 && (b[0] == '\0' || b[0] == '\xff') &&
                 ((static_cast<uint8_t>(b[0]) ^ static_cast<uint8_t>(b[1])) & 0x80) == 0) {
            b.remove_prefix(1);
          }
          if (b.size() > 16) return false;
          __int128 v = b.empty() ? 0 : (static_cast<int8_t>(b[0]) < 0 ? -1 : 0);
          for (char c : b) v = static_cast<__int128>((static_cast<unsigned __int128>(v) << 8) | static_cast<uint8_t>(c));
          pq::AppendDecimal(out, v, leaf_.scale);
          return true;
        });
    }
    return Status::Ok();
  }

  template <typename F>
  Status ToText(std::string& arena, size_t n, F&& append) {
    arena.clear();
    offsets_.resize(n + 1);
    offsets_[0] = 0;
    for (size_t i = 0; i < n; ++i) {
      if (!append(i, arena)) return Status::ConfigError("a DECIMAL value has more than 38 digits");
      offsets_[i + 1] = arena.size();
    }
    views_.resize(n);
    for (size_t i = 0; i < n; ++i) views_[i] = std::string_view(arena.data() + offsets_[i], offsets_[i + 1] - offsets_[i]);
    ints_.clear();
    return Status::Ok();
  }

  const Leaf& leaf_;
  Family family_;
  std::string chunk_;
  size_t pos_ = 0;
  pq::Codec codec_ = pq::Codec::kUncompressed;
  int64_t chunk_values_left_ = 0;
  pq::PageDecompressor decompressor_;

  bool has_dict_ = false;
  std::string dict_buf_;
  std::string dict_decode_arena_;
  std::string dict_text_arena_;
  std::vector<int64_t> dict_ints_;
  std::vector<double> dict_doubles_;
  std::vector<std::string_view> dict_views_;

  std::string page_buf_;
  std::string decode_arena_;
  std::string text_arena_;
  std::string split_buf_;
  std::vector<uint32_t> levels_;
  std::vector<uint8_t> defs_;
  std::vector<uint32_t> indices_;
  std::vector<int64_t> lengths_;
  std::vector<int64_t> prefixes_;
  std::vector<size_t> offsets_;
  bool page_has_nulls_ = false;
  size_t nonnull_ = 0;
  size_t page_rows_ = 0;
  size_t page_row_ = 0;
  size_t value_pos_ = 0;
  std::vector<int64_t> ints_;
  std::vector<double> doubles_;
  std::vector<std::string_view> views_;
};

// ---- ParquetReader --------------------------------------------------------------------------

struct ParquetReader::State {
  std::unique_ptr<RandomAccessFile> file;
  pq::FileMetaData meta;
  std::vector<Leaf> leaves;
  SchemaPtr schema;
  SchemaPtr output;                 // what Next fills
  std::vector<int> output_leaf;     // per output field: the leaf index, or -1
  std::vector<std::unique_ptr<ColumnReader>> readers;  // per leaf (null when not read)
  int group = -1;                   // the open row group
  int64_t group_rows_left = 0;
  bool started = false;
};

ParquetReader::~ParquetReader() = default;

Result<std::unique_ptr<ParquetReader>> ParquetReader::Open(std::unique_ptr<RandomAccessFile> file) {
  const std::string name = file->name();
  auto fail = [&](std::string what) { return Status::ConfigError(fmt::format("file {}: {}", name, what)); };
  SLUICE_ASSIGN_OR_RETURN(const uint64_t size, file->Size());
  if (size < 12) return fail("not a Parquet file (too short)");
  std::string tail;
  SLUICE_RETURN_IF_ERROR(file->ReadAt(size - 8, 8, tail));
  if (tail.compare(4, 4, "PAR1") != 0) {
    if (tail.compare(4, 4, "PARE") == 0) return fail("encrypted Parquet files are not supported");
    return fail("not a Parquet file (no PAR1 at the end)");
  }
  uint32_t footer_len;
  std::memcpy(&footer_len, tail.data(), 4);
  if (footer_len > size - 12 || footer_len > kMaxFooterBytes) return fail("corrupt Parquet footer length");
  std::string footer;
  SLUICE_RETURN_IF_ERROR(file->ReadAt(size - 8 - footer_len, footer_len, footer));
  std::unique_ptr<ParquetReader> reader(new ParquetReader());
  reader->state_ = std::make_unique<State>();
  State& s = *reader->state_;
  s.file = std::move(file);
  Status parsed = pq::ParseFileMetaData(reinterpret_cast<const uint8_t*>(footer.data()), footer.size(), s.meta);
  if (!parsed.ok()) return parsed.WithContext(fmt::format("file {}", name));
  if (s.meta.encrypted) return fail("encrypted Parquet files are not supported");
  if (s.meta.schema.empty()) return fail("the Parquet schema is empty");

  // A flat schema: the root's children are all primitive, not repeated.
  const auto& elements = s.meta.schema;
  const int children = elements[0].num_children.value_or(0);
  if (children < 0 || static_cast<size_t>(children) >= elements.size() + 1) return fail("corrupt Parquet schema");
  Json file_schema;
  for (const auto& [key, value] : s.meta.key_value_metadata) {
    if (key == kParquetJsonSchemaKey) {
      file_schema = Json::parse(value, nullptr, false);
      if (file_schema.is_discarded()) file_schema = Json();
    }
  }
  std::vector<Field> fields;
  std::set<std::string> names;
  size_t i = 1;
  for (int c = 0; c < children; ++c, ++i) {
    if (i >= elements.size()) return fail("corrupt Parquet schema (fewer elements than children)");
    const pq::SchemaElement& e = elements[i];
    if (!e.type || e.num_children.value_or(0) > 0 || e.repetition == pq::Repetition::kRepeated) {
      return fail(fmt::format("column '{}' is nested (a group, list or map); only flat schemas are supported", e.name));
    }
    auto leaf = PlanLeaf(e);
    if (!leaf.ok()) return leaf.status().WithContext(fmt::format("file {}", name));
    if (!names.insert(leaf->name).second) return fail(fmt::format("column '{}' appears twice", leaf->name));
    Field f{leaf->name, leaf->type, leaf->optional, leaf->json_schema};
    // The stream schema a sluice writer stored keeps nested JSON shapes: prefer it when it agrees.
    if (file_schema.is_object() && file_schema.contains("properties") && file_schema["properties"].is_object()) {
      const Json& props = file_schema["properties"];
      auto it = props.find(leaf->name);
      // Decimal text without a precision was written as a STRING column.
      if (it != props.end() && leaf->conv == Conv::kBytes && leaf->type == TypeId::kString &&
          TypeFromJsonSchema(*it) == TypeId::kDecimal) {
        leaf->type = f.type = TypeId::kDecimal;
      }
      if (it != props.end() && TypeFromJsonSchema(*it) == leaf->type) {
        f.json_schema = *it;
        if (f.type == TypeId::kDecimal && leaf->json_schema.contains("precision")) {
          f.json_schema["precision"] = leaf->precision;
          f.json_schema["scale"] = leaf->scale;
        }
      }
    }
    fields.push_back(std::move(f));
    s.leaves.push_back(std::move(*leaf));
  }
  if (i != elements.size()) return fail("corrupt Parquet schema (more elements than the root's children)");
  for (const auto& g : s.meta.row_groups) {
    if (g.columns.size() != s.leaves.size()) return fail("a row group's column count differs from the schema's");
    if (g.num_rows < 0) return fail("a row group has a negative row count");
  }
  s.schema = std::make_shared<Schema>(std::move(fields));
  s.output = s.schema;
  for (size_t k = 0; k < s.leaves.size(); ++k) s.output_leaf.push_back(static_cast<int>(k));
  return reader;
}

SchemaPtr ParquetReader::schema() const { return state_->schema; }
int64_t ParquetReader::num_rows() const { return state_->meta.num_rows; }
int ParquetReader::num_row_groups() const { return static_cast<int>(state_->meta.row_groups.size()); }
const std::vector<std::pair<std::string, std::string>>& ParquetReader::key_value_metadata() const {
  return state_->meta.key_value_metadata;
}

Status ParquetReader::SetOutputSchema(SchemaPtr target) {
  State& s = *state_;
  if (s.started) return Status::SystemError("ParquetReader: SetOutputSchema after Next");
  std::vector<int> mapping;
  for (const Field& f : target->fields()) {
    const int leaf = s.schema->IndexOf(f.name);
    if (leaf >= 0 && s.leaves[static_cast<size_t>(leaf)].type != f.type) {
      return Status::ConfigError(fmt::format("file {}: column '{}' is {} in the file but {} in the catalog",
                                             s.file->name(), f.name, TypeName(s.leaves[static_cast<size_t>(leaf)].type),
                                             TypeName(f.type)));
    }
    mapping.push_back(leaf);
  }
  s.output = std::move(target);
  s.output_leaf = std::move(mapping);
  return Status::Ok();
}

Status ParquetReader::OpenRowGroup(int index) {
  State& s = *state_;
  const pq::RowGroup& g = s.meta.row_groups[static_cast<size_t>(index)];
  if (s.readers.empty()) s.readers.resize(s.leaves.size());
  std::string chunk;
  for (int leaf_index : s.output_leaf) {
    if (leaf_index < 0) continue;
    const size_t k = static_cast<size_t>(leaf_index);
    const Leaf& leaf = s.leaves[k];
    auto fail = [&](std::string_view what) {
      return Status::ConfigError(fmt::format("file {}: row group {} column '{}': {}", s.file->name(), index, leaf.name, what));
    };
    const pq::ColumnChunk& c = g.columns[k];
    if (!c.meta_data) return fail("the column chunk has no metadata");
    if (c.file_path) return fail("column data in another file is not supported");
    const pq::ColumnMetaData& m = *c.meta_data;
    if (m.type != leaf.physical) return fail("the chunk's physical type differs from the schema's");
    int64_t start = m.data_page_offset;
    if (m.dictionary_page_offset && *m.dictionary_page_offset > 0 && *m.dictionary_page_offset < start) {
      start = *m.dictionary_page_offset;
    }
    if (start < 0 || m.total_compressed_size < 0 || m.total_compressed_size > (int64_t{1} << 34)) {
      return fail("corrupt column chunk offsets");
    }
    Status read = s.file->ReadAt(static_cast<uint64_t>(start), static_cast<size_t>(m.total_compressed_size), chunk);
    if (!read.ok()) return read.WithContext(fmt::format("row group {} column '{}'", index, leaf.name));
    if (!s.readers[k]) s.readers[k] = std::make_unique<ColumnReader>(leaf);
    s.readers[k]->StartChunk(std::move(chunk), m.codec, m.num_values);
    chunk = std::string();
  }
  s.group = index;
  s.group_rows_left = g.num_rows;
  return Status::Ok();
}

Result<bool> ParquetReader::Next(RecordBatch& batch, size_t max_rows) {
  State& s = *state_;
  s.started = true;
  if (batch.num_columns() != s.output->num_fields()) {
    return Status::SystemError("ParquetReader::Next: the batch's schema is not the reader's");
  }
  size_t appended = 0;
  while (appended < max_rows) {
    while (s.group_rows_left == 0) {
      if (s.group + 1 >= num_row_groups()) return appended > 0;
      SLUICE_RETURN_IF_ERROR(OpenRowGroup(s.group + 1));
    }
    const size_t k = static_cast<size_t>(std::min<int64_t>(s.group_rows_left, static_cast<int64_t>(max_rows - appended)));
    for (size_t j = 0; j < s.output_leaf.size(); ++j) {
      const int leaf = s.output_leaf[j];
      if (leaf < 0) continue;
      Status st = s.readers[static_cast<size_t>(leaf)]->Read(k, batch.column(j));
      if (!st.ok()) {
        return st.WithContext(fmt::format("file {}: row group {} column '{}'", s.file->name(), s.group,
                                          s.leaves[static_cast<size_t>(leaf)].name));
      }
    }
    for (size_t r = 0; r < k; ++r) batch.FinishRow();
    appended += k;
    s.group_rows_left -= static_cast<int64_t>(k);
  }
  return true;
}

}  // namespace sluice
