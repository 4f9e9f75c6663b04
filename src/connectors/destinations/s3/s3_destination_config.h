#pragma once
// destination-s3: the spec (Airbyte's field names), the parsed config, and object key layout:
// s3_bucket_path + s3_path_format + file name. Everything here is pure (no I/O). The format
// options and the path templates are the kit's (connectors/kit/), shared with destination-local.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/json.h"
#include "base/status.h"
#include "connectors/sdk/spec.h"
#include "connectors/kit/file_format.h"
#include "connectors/kit/path_template.h"
#include "protocol/catalog.h"
#include "s3/s3_client.h"

namespace sluice {

using S3OutputFormat = FileFormat;
using S3Flattening = Flattening;

//! The format options (connectors/kit/file_format.h) and where the objects go.
struct S3DestinationConfig : FileFormatOptions {
  S3DestinationConfig() {
    format = FileFormat::kParquet;
    file_size_bytes = 200ull << 20;  // file_size_mb
  }

  std::string bucket;       //!< s3_bucket_name
  std::string bucket_path;  //!< s3_bucket_path (may use the path variables)
  //! s3_path_format: appended to bucket_path; the file name follows it directly (so the default
  //! ends in '_' and files are named "..._<epoch>_<part>.parquet").
  std::string path_format = "${NAMESPACE}/${STREAM_NAME}/${YEAR}_${MONTH}_${DAY}_${EPOCH}_";
  std::string file_name_pattern;  //!< file_name_pattern; empty: "{part_number}{format_extension}"
  S3ClientOptions client;         //!< endpoint, region, credentials, addressing

  size_t part_bytes = 16 << 20;  //!< part_size_mb: multipart upload part size
  int upload_threads = 4;        //!< parallel part uploads per file
};

//! The spec `destination-s3 spec` prints.
ConnectorSpec S3DestinationSpec();

//! Reads a config (validated against the spec, defaults applied). Credentials fall back to
//! AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, the region to AWS_REGION /
//! AWS_DEFAULT_REGION, then us-east-1. Errors are ConfigErrors naming the field; a dedup mode is
//! rejected later, at Begin (it is a catalog matter).
Result<S3DestinationConfig> ParseS3DestinationConfig(const Json& config);

//! s3_bucket_path + "/" + s3_path_format, both path templates (connectors/kit/path_template.h:
//! ${NAMESPACE} ${STREAM_NAME} ${SOURCE_NAMESPACE} ${YEAR} … ${EPOCH} ${UUID}), expanded, runs of
//! '/' collapsed, no leading '/', "." segments dropped. `fixed_prefix` gets the part before the
//! first variable that changes from run to run (time, epoch, UUID): the prefix under which this
//! stream's objects live. Errors: an unknown or unterminated variable, a ".." segment.
Result<std::string> ExpandS3ObjectPath(const S3DestinationConfig& config, const PathTemplateValues& context,
                                       std::string* fixed_prefix = nullptr);

//! ".jsonl", ".csv.gz", ".parquet".
std::string S3FormatExtension(const S3DestinationConfig& config);

//! The file name for part `part` from file_name_pattern: {date} (yyyy_MM_dd), {date:yyyy_MM},
//! {timestamp} and {timestamp:millis} (epoch ms), {timestamp:micros}, {part_number}, {sync_id},
//! {format_extension}. A pattern without {part_number} gets "_<part>" before the extension for
//! parts after the first. `now_micros` is the file's creation time.
Result<std::string> ExpandS3FileName(const S3DestinationConfig& config, uint64_t part, int64_t sync_id,
                                     int64_t now_micros);

//! The glob of every file name ExpandS3FileName can give (any part, sync, time): each placeholder
//! but {format_extension} is '*' (one more '*' before the extension for the "_<part>" a pattern
//! without {part_number} gets). Pattern errors as ExpandS3FileName's.
Result<std::string> S3FileNameGlob(const S3DestinationConfig& config);

//! Whether `key` matches `glob`, where '*' stands for any run of characters other than '/'
//! (every other character for itself).
bool S3KeyMatchesGlob(std::string_view glob, std::string_view key);

}  // namespace sluice
