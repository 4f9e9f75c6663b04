#pragma once
// source-file: CSV and JSONL files (plain or gzip/zstd-compressed) and Parquet files, from local
// paths, s3://bucket/key objects or http(s):// URLs, one stream per configured path or glob (all
// files a glob matches form one stream). Full refresh only.
// See README.md for the config and the type rules.

#include <memory>

#include "connectors/sdk/source.h"

namespace sluice {

//! A new source-file connector (registered as "source-file" in app/builtin_connectors.cc).
std::unique_ptr<Source> MakeFileSource();

}  // namespace sluice
