#pragma once
// The parts of parquet.thrift (Apache Parquet format) that sluice reads and writes, as plain
// structs, with their compact-protocol serialization. Field ids follow parquet.thrift; fields
// sluice does not use are skipped when reading and never written.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace sluice::parquet {

enum class Type : int32_t {
  kBoolean = 0,
  kInt32 = 1,
  kInt64 = 2,
  kInt96 = 3,
  kFloat = 4,
  kDouble = 5,
  kByteArray = 6,
  kFixedLenByteArray = 7,
};

//! The legacy ConvertedType values sluice writes or understands.
enum class ConvertedType : int32_t {
  kUtf8 = 0,
  kMap = 1,
  kMapKeyValue = 2,
  kList = 3,
  kEnum = 4,
  kDecimal = 5,
  kDate = 6,
  kTimeMillis = 7,
  kTimeMicros = 8,
  kTimestampMillis = 9,
  kTimestampMicros = 10,
  kUint8 = 11,
  kUint16 = 12,
  kUint32 = 13,
  kUint64 = 14,
  kInt8 = 15,
  kInt16 = 16,
  kInt32 = 17,
  kInt64 = 18,
  kJson = 19,
  kBson = 20,
  kInterval = 21,
};

enum class Repetition : int32_t { kRequired = 0, kOptional = 1, kRepeated = 2 };

enum class Encoding : int32_t {
  kPlain = 0,
  kPlainDictionary = 2,
  kRle = 3,
  kBitPacked = 4,
  kDeltaBinaryPacked = 5,
  kDeltaLengthByteArray = 6,
  kDeltaByteArray = 7,
  kRleDictionary = 8,
  kByteStreamSplit = 9,
};

enum class Codec : int32_t {
  kUncompressed = 0,
  kSnappy = 1,
  kGzip = 2,
  kLzo = 3,
  kBrotli = 4,
  kLz4 = 5,
  kZstd = 6,
  kLz4Raw = 7,
};

enum class PageType : int32_t { kDataPage = 0, kIndexPage = 1, kDictionaryPage = 2, kDataPageV2 = 3 };

enum class TimeUnit : uint8_t { kMillis, kMicros, kNanos };

//! The LogicalType union (field ids in parentheses).
struct LogicalType {
  enum class Kind : uint8_t {
    kNone,
    kString,     // (1)
    kMap,        // (2)
    kList,       // (3)
    kEnum,       // (4)
    kDecimal,    // (5) scale, precision
    kDate,       // (6)
    kTime,       // (7) adjusted_to_utc, unit
    kTimestamp,  // (8) adjusted_to_utc, unit
    kInteger,    // (10) bit_width, is_signed
    kUnknown,    // (11) always null
    kJson,       // (12)
    kBson,       // (13)
    kUuid,       // (14)
    kFloat16,    // (15)
    kOther,      // anything newer (variant, geometry, ...)
  };
  Kind kind = Kind::kNone;
  int32_t scale = 0;
  int32_t precision = 0;
  bool adjusted_to_utc = false;
  TimeUnit unit = TimeUnit::kMicros;
  int8_t bit_width = 64;
  bool is_signed = true;
};

struct SchemaElement {
  std::optional<Type> type;  //!< unset for groups (the root)
  std::optional<int32_t> type_length;
  std::optional<Repetition> repetition;
  std::string name;
  std::optional<int32_t> num_children;
  std::optional<ConvertedType> converted_type;
  std::optional<int32_t> scale;
  std::optional<int32_t> precision;
  std::optional<int32_t> field_id;
  LogicalType logical;
};

//! Min/max are PLAIN-encoded values (byte arrays without their length prefix).
struct Statistics {
  std::optional<std::string> max;  //!< (1) legacy, signed order
  std::optional<std::string> min;  //!< (2) legacy, signed order
  std::optional<int64_t> null_count;
  std::optional<int64_t> distinct_count;
  std::optional<std::string> max_value;  //!< (5) by the column's order
  std::optional<std::string> min_value;  //!< (6)
  bool empty() const { return !max && !min && !null_count && !distinct_count && !max_value && !min_value; }
};

struct ColumnMetaData {
  Type type = Type::kInt64;
  std::vector<Encoding> encodings;
  std::vector<std::string> path_in_schema;
  Codec codec = Codec::kUncompressed;
  int64_t num_values = 0;
  int64_t total_uncompressed_size = 0;
  int64_t total_compressed_size = 0;
  int64_t data_page_offset = 0;
  std::optional<int64_t> dictionary_page_offset;
  std::optional<Statistics> statistics;
};

struct ColumnChunk {
  std::optional<std::string> file_path;
  int64_t file_offset = 0;
  std::optional<ColumnMetaData> meta_data;
};

struct RowGroup {
  std::vector<ColumnChunk> columns;
  int64_t total_byte_size = 0;
  int64_t num_rows = 0;
  std::optional<int64_t> file_offset;
  std::optional<int64_t> total_compressed_size;
  std::optional<int16_t> ordinal;
};

struct FileMetaData {
  int32_t version = 1;
  std::vector<SchemaElement> schema;  //!< depth-first; [0] is the root
  int64_t num_rows = 0;
  std::vector<RowGroup> row_groups;
  std::vector<std::pair<std::string, std::string>> key_value_metadata;
  std::optional<std::string> created_by;
  //! Writing: emit column_orders with TYPE_ORDER for every leaf (min_value/max_value need it).
  bool type_defined_column_orders = false;
  //! Reading: the encryption_algorithm field (8) was present.
  bool encrypted = false;
};

struct DataPageHeader {
  int32_t num_values = 0;
  Encoding encoding = Encoding::kPlain;
  Encoding definition_level_encoding = Encoding::kRle;
  Encoding repetition_level_encoding = Encoding::kRle;
  std::optional<Statistics> statistics;
};

struct DictionaryPageHeader {
  int32_t num_values = 0;
  Encoding encoding = Encoding::kPlain;
  std::optional<bool> is_sorted;
};

struct DataPageHeaderV2 {
  int32_t num_values = 0;
  int32_t num_nulls = 0;
  int32_t num_rows = 0;
  Encoding encoding = Encoding::kPlain;
  int32_t definition_levels_byte_length = 0;
  int32_t repetition_levels_byte_length = 0;
  bool is_compressed = true;
};

struct PageHeader {
  PageType type = PageType::kDataPage;
  int32_t uncompressed_page_size = 0;
  int32_t compressed_page_size = 0;
  std::optional<int32_t> crc;
  std::optional<DataPageHeader> data_page_header;
  std::optional<DictionaryPageHeader> dictionary_page_header;
  std::optional<DataPageHeaderV2> data_page_header_v2;
};

//! Appends the compact encoding.
void SerializeFileMetaData(const FileMetaData& meta, std::string& out);
void SerializePageHeader(const PageHeader& header, std::string& out);

//! Parses a footer. Errors (ConfigError, without a file name: the caller adds it) say what is
//! malformed.
Status ParseFileMetaData(const uint8_t* data, size_t size, FileMetaData& out);
//! Parses the page header at `data`; `header_size` is set to its encoded length. A header cut
//! off by `size` is an error.
Status ParsePageHeader(const uint8_t* data, size_t size, PageHeader& out, size_t& header_size);

}  // namespace sluice::parquet
