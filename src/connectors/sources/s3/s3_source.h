#pragma once
// source-s3: CSV, JSONL and Parquet objects of an S3 bucket, one stream per configured entry
// (every object its globs match). Full refresh, and incremental by object modification time
// with Airbyte's file-based state ({"history": {key: modified}, "_ab_source_file_last_modified":
// "<modified>_<key>"}). See README.md.

#include <memory>

#include "connectors/sdk/source.h"

namespace sluice {

//! The registry's factory ("source-s3").
std::unique_ptr<Source> MakeS3Source();

}  // namespace sluice
