#pragma once
// Reading S3 objects of one source-s3 stream into RecordBatches (CSV and JSONL streamed through
// ranged GETs, optionally gzip/zstd; Parquet through ranged reads of its column chunks), and
// inferring a stream's schema from a sample of objects.
//
// Every record also gets _ab_source_file_last_modified and _ab_source_file_url (Airbyte's
// file-based columns) when the stream's schema has them.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <simdjson.h>

#include "connectors/sdk/source.h"
#include "connectors/sources/s3/s3_source_config.h"
#include "s3/s3_client.h"

namespace sluice {

inline constexpr const char* kFileModifiedColumn = "_ab_source_file_last_modified";
inline constexpr const char* kFileUrlColumn = "_ab_source_file_url";

//! Infers the stream's columns from `objects` (the most recent few): CSV headers (types with
//! inference_type "Primitive Types Only", else strings), the union of JSONL keys with their
//! value types, or the Parquet files' columns; the two _ab_source_file_* columns come last.
//! input_schema, when set, is used instead. Errors name the object.
Result<SchemaPtr> InferS3StreamSchema(const S3SourceStreamConfig& stream, const std::shared_ptr<S3Client>& client,
                                      const std::string& bucket, const std::vector<S3Object>& objects);

//! Reads objects of one stream into batches of `schema` and hands them to `out` (about 16384
//! rows or 4 MB each). Not thread-safe.
class S3StreamReader {
 public:
  S3StreamReader(const S3SourceStreamConfig& config, std::shared_ptr<S3Client> client, std::string bucket,
                 SchemaPtr schema, uint32_t stream_index, Emitter& out);

  //! Reads every record of `object`; records are emitted as batches fill, the rest at Flush().
  //! Errors (ConfigError) name the object and, for CSV/JSONL, the line.
  Status ReadObject(const S3Object& object);
  //! Emits the rows collected so far.
  Status Flush();

  uint64_t rows() const { return rows_; }
  uint64_t skipped() const { return skipped_; }

 private:
  Status ReadCsv(const S3Object& object);
  Status ReadJsonl(const S3Object& object);
  Status ReadParquet(const S3Object& object);
  //! The _ab_source_file_* values of the current row.
  void AppendFileColumns();
  Status MaybeFlush();

  const S3SourceStreamConfig& config_;
  std::shared_ptr<S3Client> client_;
  std::string bucket_;
  SchemaPtr schema_;
  uint32_t index_;
  Emitter& out_;
  RecordBatch batch_;
  int modified_column_ = -1;
  int url_column_ = -1;
  int64_t modified_micros_ = 0;
  std::string modified_text_;
  std::string url_text_;
  simdjson::ondemand::parser parser_;
  bool running_ = false;
  uint64_t rows_ = 0;
  uint64_t skipped_ = 0;
};

}  // namespace sluice
