#pragma once
// Paginators: NoPagination, and DefaultPaginator with a pagination strategy — CursorPagination
// (cursor_value and stop_condition templates over response / headers / last_record /
// last_page_size), OffsetIncrement and PageIncrement (page_size, inject_on_first_request,
// start_from_page) — putting the token where page_token_option says (a RequestOption, or
// RequestPath for a next-page URL) and the page size where page_size_option says.
// One instance per stream read; Reset() before each slice.

#include <memory>
#include <optional>

#include "base/status.h"
#include "connectors/kit/config_reader.h"
#include "connectors/sources/declarative_manifest/build_context.h"
#include "connectors/sources/declarative_manifest/request_options.h"

namespace sluice {

//! What a paginator sees of the page just read.
struct PageInfo {
  const HttpResponse* response = nullptr;
  const Json* body = nullptr;            //!< decoded body
  const Json* last_record = nullptr;     //!< null when the page had none
  int64_t records = 0;                   //!< records on the page (before filtering)
  const Vars* vars = nullptr;            //!< config, parameters, stream_slice, ... of the request
};

class Paginator {
 public:
  virtual ~Paginator() = default;
  //! Starts over (a new slice). The first request then carries the initial token, if any.
  virtual void Reset() = 0;
  //! The token of the next page, or nullopt when this was the last page.
  virtual Result<std::optional<Json>> Next(const PageInfo& page) = 0;
  //! Adds the current token (none: the initial one) and the page size to `request`.
  virtual void Apply(PreparedRequest& request) const = 0;
  //! The current token for `next_page_token` in templates (null before the first page).
  virtual const Json& token() const = 0;
};

//! The paginator at `r` (absent: NoPagination). Unknown types are ConfigErrors naming the path.
Result<std::unique_ptr<Paginator>> MakePaginator(ConfigReader r, BuildContext& ctx);

}  // namespace sluice
