#pragma once
// Path templates of file destinations: the folder (destination-local `path_format`) or key
// prefix (destination-s3 `s3_bucket_path` + `s3_path_format`) of a stream, with ${VARIABLES}
// filled in per stream and run. One variable list for every file destination:
//
//   ${NAMESPACE} ${STREAM_NAME} ${SOURCE_NAMESPACE}   the stream (names are made path-safe)
//   ${YEAR} ${MONTH} ${DAY} ${HOUR} ${MINUTE} ${SECOND} ${MILLISECOND}   the sync start, UTC,
//                                                     zero padded
//   ${EPOCH} (the sync start in ms)  ${UUID} (a random UUID per stream and run)
//
//   SLUICE_ASSIGN_OR_RETURN(PathTemplate t, PathTemplate::Parse(config.path_format, "$.path_format"));
//   std::string folder;
//   t.ExpandTo(values, folder);
//
// Pure (no I/O); a parsed template is immutable and may be shared between threads.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "protocol/catalog.h"

namespace sluice {

//! The variable names a path template knows, without "${" and "}", in documentation order.
//! cli/ reserves exactly these names in pipeline files (they are not environment variables).
const std::vector<std::string_view>& PathTemplateVariables();

//! "${NAMESPACE} ${STREAM_NAME} … ${UUID}": the list as error messages and docs show it.
std::string PathTemplateVariableList();

//! The values of the variables for one stream in one run.
struct PathTemplateValues {
  StreamDescriptor stream;
  //! ${SOURCE_NAMESPACE}. A destination receives streams after namespace mapping and does not
  //! know the source's own namespace: unset means the stream's namespace (as ${NAMESPACE}).
  std::optional<std::string> source_namespace;
  int64_t sync_start_micros = 0;  //!< the time variables; µs since the epoch
  std::string uuid;               //!< ${UUID}; callers draw one per stream and run
  //! Every variable that changes from run to run (time, epoch, UUID) expands to '*' instead: a
  //! glob of the stream's paths in every run (destination-s3 finds earlier runs' uploads by it).
  bool varying_as_wildcard = false;
};

class PathTemplate {
 public:
  PathTemplate() = default;

  //! Checks `text`, the config value at JSON path `json_path` ("$.path_format"): every
  //! "${" must close and name a variable of PathTemplateVariables(), and no NUL may appear (the
  //! OS would cut the path there). Errors are ConfigErrors
  //! starting with `json_path` ("$.path_format: unknown variable ${STREAM}; known: ${NAMESPACE} …").
  static Result<PathTemplate> Parse(std::string_view text, std::string json_path);

  const std::string& text() const { return text_; }
  const std::string& json_path() const { return json_path_; }

  //! Appends the expansion to `out`. A name (namespace, stream) becomes one path segment:
  //! '/' and NUL become '_', a name "." becomes "_" and ".." becomes "__". When
  //! `first_varying` is set and still npos, it gets the offset in `out` where the first variable
  //! that changes from run to run (time, epoch, UUID) starts.
  void ExpandTo(const PathTemplateValues& values, std::string& out, size_t* first_varying = nullptr) const;

 private:
  struct Piece {
    std::string literal;  //!< text before the variable
    int variable = -1;    //!< index in PathTemplateVariables(); -1: none (the tail)
  };
  std::string text_;
  std::string json_path_;
  std::vector<Piece> pieces_;
};

//! A relative path made of expanded templates: runs of '/' collapsed, leading '/' and "."
//! segments dropped (a trailing '/' is kept). `fixed_prefix` (in/out, may be null) is an offset
//! into `path`, mapped from the offset before normalizing. A ".." segment is a ConfigError
//! naming `what` and `stream`: paths must stay inside their root.
Result<std::string> NormalizeRelativePath(std::string_view path, std::string_view what, const StreamDescriptor& stream,
                                          size_t* fixed_prefix = nullptr);

}  // namespace sluice
