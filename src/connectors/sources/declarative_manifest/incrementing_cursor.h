#pragma once
// IncrementingCountCursor: incremental reads by an ever-increasing integer field (an id, a
// sequence number). One slice per read, {"start": max(start_value, state)} (the CDK's slice key),
// injected through start_value_option; records are never dropped (the API is trusted to answer
// from the start value). start_value is an integer or a template giving one (empty: 0). The
// state is Airbyte's {cursor_field: the largest value seen, at least the start}; a record whose
// value is not an integer (or a string of one) is kept and does not move the state. The CDK
// refuses it beside a partition router, and so does the stream.

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "connectors/kit/config_reader.h"
#include "connectors/sources/declarative_manifest/build_context.h"
#include "connectors/sources/declarative_manifest/stream_cursor.h"

namespace sluice {

class IncrementingCursor final : public StreamCursor {
 public:
  //! Parses the IncrementingCountCursor at `r` (cursor_field and start_value evaluated here).
  static Result<IncrementingCursor> Make(ConfigReader r, BuildContext& ctx);

  const std::string& cursor_field() const override { return cursor_field_; }
  Status Begin(const Json& state) override;
  std::vector<Json> Slices() const override;
  void Apply(const Json& slice, PreparedRequest& request) const override;
  bool ObserveValue(const Json* value) override;
  std::optional<int64_t> newest() const override { return newest_; }
  Json StateFor(std::optional<int64_t> newest) const override;
  Json StateOf(int64_t value) const override { return Json{{cursor_field_, value}}; }
  std::optional<int64_t> ValueOf(const Json& state) const override;

 private:
  std::string cursor_field_;
  int64_t start_ = 0;
  std::optional<RequestOption> start_option_;
  // Per read:
  int64_t sync_start_ = 0;
  std::optional<int64_t> newest_;
};

}  // namespace sluice
