#pragma once
// Partition routers: ListPartitionRouter (values: a list or a template giving one;
// cursor_field names the slice key) and SubstreamPartitionRouter (one partition per record of a
// parent stream: partition_field = the record's parent_key, plus "parent_slice"). Several
// routers in a list combine as a cartesian product, as the CDK does. Each may inject its value
// with a request_option.

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "base/status.h"
#include "connectors/kit/config_reader.h"
#include "connectors/sources/declarative_manifest/build_context.h"
#include "connectors/sources/declarative_manifest/request_options.h"

namespace sluice {

//! Reads every record of the parent stream component at `stream`, calling `on_record(record,
//! slice)` for each (slice: the parent's stream_slice).
using ParentReader =
    std::function<Status(ConfigReader stream, const std::function<Status(const Json& record, const Json& slice)>& on_record)>;

class PartitionRouter {
 public:
  //! Parses `r`: one router, a list of routers, or null (no partitions: one empty partition).
  static Result<std::unique_ptr<PartitionRouter>> Make(ConfigReader r, BuildContext& ctx, ParentReader parent);

  //! Every partition, in order (reads parent streams).
  Result<std::vector<Json>> Partitions();
  //! Adds a partition's values to a request where the routers' request_options say.
  void Apply(const Json& partition, PreparedRequest& request) const;
  bool empty() const { return routers_.empty(); }

 private:
  struct Router {
    bool list = true;
    std::string key;                  // slice key: cursor_field / partition_field
    std::vector<Json> values;         // list router
    ConfigReader parent{Null()};      // substream: the parent stream component
    std::vector<std::string> parent_key;
    std::optional<RequestOption> option;
    static const Json& Null() {
      static const Json kNull;
      return kNull;
    }
  };

  std::vector<Router> routers_;
  ParentReader parent_;
};

}  // namespace sluice
