#pragma once
// Records out of a response: RecordSelector with a DpathExtractor (field_path of templates,
// "*" matching every key or item), a RecordFilter (condition template over record,
// stream_state, stream_slice, next_page_token) and the stream's transformations: AddFields
// (path, value template, optional condition) and RemoveFields (field_pointers with "*",
// optional condition). sluice's HeaderRowsExtractor (field_path to an array of rows of cells, as
// Google Sheets answers): the first row is the header (kept across pages), each later non-blank
// row a record keyed by it (normalize_names: snake_case names). Used by the stream reader on its thread.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "connectors/kit/config_reader.h"
#include "connectors/sources/declarative_manifest/build_context.h"

namespace sluice {

class RecordSelector {
 public:
  //! Parses the RecordSelector at `selector` and the transformations list at `transformations`.
  static Result<std::unique_ptr<RecordSelector>> Make(ConfigReader selector, ConfigReader transformations,
                                                      BuildContext& ctx);

  //! The records of a decoded body at field_path (before filtering): objects only.
  Result<std::vector<Json>> Extract(const Json& body, const Vars& vars);
  //! Whether the records are values inside the body (DpathExtractor), so Locate can point at
  //! them instead of copying; false for HeaderRowsExtractor (records built from rows).
  bool locates() const { return !header_rows_; }
  //! The DpathExtractor's records as pointers into `body` (locates() only): the read loop moves
  //! them out once the paginator has seen the page.
  Result<std::vector<const Json*>> Locate(const Json& body, const Vars& vars);
  //! True for a DpathExtractor without record filter or transformations: the records are
  //! exactly the objects RecordPath locates, unchanged (so a page's records can be written from
  //! its text: fast_page.h).
  bool unchanged() const { return !header_rows_ && condition_.is_null() && transformations_.empty(); }
  //! The extractor's field_path, its templates rendered ("*" wildcards kept).
  Result<std::vector<std::string>> RecordPath(const Vars& vars) { return FieldPath(vars); }
  //! Whether bodies are arrays of documents (a documents decoder: JSONL, CSV…), field_path then
  //! applying to each document on its own (decoders.h). Set once, before the first page.
  void set_documents(bool documents) { documents_ = documents; }
  //! Filters and transforms `records` in place (vars: config, stream_state, stream_slice,
  //! next_page_token).
  Status FilterAndTransform(std::vector<Json>& records, const Vars& vars);

 private:
  //! The extractor's field_path, its templates rendered.
  Result<std::vector<std::string>> FieldPath(const Vars& vars);
  //! The values at `path` in `body` (in each of its documents when documents_).
  void Find(const Json& body, const std::vector<std::string>& path, std::vector<const Json*>& found) const;
  static std::vector<const Json*> RecordsAt(const std::vector<const Json*>& found, const std::vector<std::string>& path);
  struct AddedField {
    std::vector<std::string> path;
    Json value;
    std::string value_type;
    std::string where;
  };
  struct Transformation {
    bool add = true;
    std::vector<AddedField> fields;              // AddFields
    std::vector<std::vector<std::string>> pointers;  // RemoveFields
    Json condition;
    const Json* parameters = nullptr;
    std::string where;
  };

  RecordSelector(ConfigReader r, BuildContext& ctx) : r_(r), ctx_(ctx) {}
  Status Transform(Json& record, const Vars& vars);

  ConfigReader r_;
  BuildContext& ctx_;
  const Json* extractor_parameters_ = nullptr;
  bool documents_ = false;        //!< bodies are arrays of documents (set_documents)
  bool header_rows_ = false;      //!< HeaderRowsExtractor (sluice's): rows of cells, the first one the header
  bool normalize_names_ = false;  //!< its header names as snake_case identifiers
  std::optional<std::vector<std::string>> header_;  //!< kept across pages
  std::vector<Json> field_path_;
  std::string extractor_where_;
  Json condition_;
  const Json* filter_parameters_ = nullptr;
  std::string filter_where_;
  std::vector<Transformation> transformations_;
};

//! Values at `path` in `value`, "*" matching every key of an object or item of an array
//! (dpath's glob); appended to `out`.
void DpathValues(const Json& value, const std::vector<std::string>& path, size_t from, std::vector<const Json*>& out);

}  // namespace sluice
