#include "connectors/sources/declarative_manifest/paginator.h"

#include <fmt/format.h>

#include "connectors/sources/declarative_manifest/http_requester.h"
#include "connectors/sources/declarative_manifest/manifest_errors.h"

namespace sluice {
namespace {

class NoPagination final : public Paginator {
 public:
  void Reset() override {}
  Result<std::optional<Json>> Next(const PageInfo&) override { return std::optional<Json>(); }
  void Apply(PreparedRequest&) const override {}
  const Json& token() const override { return token_; }

 private:
  Json token_;
};

enum class Strategy { kCursor, kOffset, kPage };

class DefaultPaginator final : public Paginator {
 public:
  DefaultPaginator(ConfigReader r, BuildContext& ctx) : r_(r), ctx_(ctx) {}

  Status Init() {
    Vars vars;
    vars.config = ctx_.config;
    auto eval = [&](const std::string& s) {
      Result<std::string> v = ctx_.interpolator->Text(Json(s), vars, r_.path());
      return v.ok() ? *v : s;
    };
    ConfigReader s = r_.Object("pagination_strategy");
    vars.parameters = &ParametersOf(s);
    strategy_r_ = s;
    const std::string type = s.String("type");
    if (type == "CursorPagination") {
      strategy_ = Strategy::kCursor;
      if (!s.Has("cursor_value")) s.Fail("cursor_value", "is required");
    } else if (type == "OffsetIncrement") {
      strategy_ = Strategy::kOffset;
      inject_first_ = s.Bool("inject_on_first_request", false);
    } else if (type == "PageIncrement") {
      strategy_ = Strategy::kPage;
      inject_first_ = s.Bool("inject_on_first_request", false);
      SLUICE_ASSIGN_OR_RETURN(Json start, ctx_.interpolator->Value(s.Raw("start_from_page"), vars, s.PathOf("start_from_page"), 1));
      start_page_ = start.is_number_integer() ? start.get<int64_t>() : 1;
    } else if (!type.empty()) {
      return UnsupportedComponent(s, "pagination strategy", type, "CursorPagination, OffsetIncrement, PageIncrement");
    }
    if (s.Has("page_size")) {
      SLUICE_ASSIGN_OR_RETURN(Json size, ctx_.interpolator->Value(s.Raw("page_size"), vars, s.PathOf("page_size")));
      if (size.is_number_integer()) {
        page_size_ = size.get<int64_t>();
      } else if (!size.is_null()) {
        return Status::ConfigError(fmt::format("manifest {}: page_size must be an integer, got {}", s.PathOf("page_size"), size.dump()));
      }
    }
    if (r_.Has("page_token_option")) token_option_ = RequestOption::Parse(r_.Object("page_token_option"), eval);
    if (r_.Has("page_size_option")) size_option_ = RequestOption::Parse(r_.Object("page_size_option"), eval);
    SLUICE_RETURN_IF_ERROR(r_.status());
    Reset();
    return Status::Ok();
  }

  void Reset() override {
    token_ = nullptr;
    offset_ = 0;
    page_ = start_page_;
    if (inject_first_) token_ = strategy_ == Strategy::kOffset ? Json(0) : Json(start_page_);
  }

  Result<std::optional<Json>> Next(const PageInfo& page) override {
    switch (strategy_) {
      case Strategy::kCursor: {
        Json headers = HeadersJson(*page.response);
        const Json last_page_size = page.records;
        Json last_record = page.last_record ? *page.last_record : Json();
        Vars vars = *page.vars;
        vars.parameters = &ParametersOf(strategy_r_);
        vars.response = page.body;
        vars.headers = &headers;
        vars.last_record = page.last_record ? page.last_record : nullptr;
        vars.last_page_size = &last_page_size;
        if (strategy_r_.Has("stop_condition")) {
          SLUICE_ASSIGN_OR_RETURN(bool stop, ctx_.interpolator->Condition(strategy_r_.Raw("stop_condition"), vars,
                                                                           strategy_r_.PathOf("stop_condition")));
          if (stop) return std::optional<Json>();
        }
        SLUICE_ASSIGN_OR_RETURN(Json next, ctx_.interpolator->Value(strategy_r_.Raw("cursor_value"), vars,
                                                                     strategy_r_.PathOf("cursor_value")));
        if (next.is_null() || (next.is_string() && next.get_ref<const std::string&>().empty())) return std::optional<Json>();
        token_ = next;
        return std::optional<Json>(token_);
      }
      case Strategy::kOffset:
        if ((page_size_ && page.records < *page_size_) || page.records == 0) return std::optional<Json>();
        offset_ += page.records;
        token_ = offset_;
        return std::optional<Json>(token_);
      case Strategy::kPage:
        if ((page_size_ && page.records < *page_size_) || page.records == 0) return std::optional<Json>();
        ++page_;
        token_ = page_;
        return std::optional<Json>(token_);
    }
    return std::optional<Json>();
  }

  void Apply(PreparedRequest& request) const override {
    if (!token_.is_null() && token_option_) token_option_->Apply(token_, request);
    if (page_size_ && size_option_) size_option_->Apply(Json(*page_size_), request);
  }

  const Json& token() const override { return token_; }

 private:
  ConfigReader r_;
  static inline const Json kNone = Json::object();
  ConfigReader strategy_r_{kNone};
  BuildContext& ctx_;
  Strategy strategy_ = Strategy::kCursor;
  bool inject_first_ = false;
  int64_t start_page_ = 1;
  std::optional<int64_t> page_size_;
  std::optional<RequestOption> token_option_, size_option_;
  Json token_;
  int64_t offset_ = 0;
  int64_t page_ = 1;
};

}  // namespace

Result<std::unique_ptr<Paginator>> MakePaginator(ConfigReader r, BuildContext& ctx) {
  if (r.json().is_null()) return std::unique_ptr<Paginator>(std::make_unique<NoPagination>());
  const std::string type = r.String("type", "NoPagination");
  if (type == "NoPagination") return std::unique_ptr<Paginator>(std::make_unique<NoPagination>());
  if (type == "DefaultPaginator") {
    auto p = std::make_unique<DefaultPaginator>(r, ctx);
    SLUICE_RETURN_IF_ERROR(p->Init());
    return std::unique_ptr<Paginator>(std::move(p));
  }
  return UnsupportedComponent(r, "paginator type", type, "DefaultPaginator, NoPagination");
}

}  // namespace sluice

