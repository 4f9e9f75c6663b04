#pragma once
// What every component factory of a manifest needs: the config, the interpolator, the HTTP
// transport, where relative files live, how to wait, and the components shared across streams
// (an OAuth token is fetched once per run, not once per stream).
// One per Source call (Check / Discover / Read), used from that call's thread; a concurrent read
// (declarative_stream.h) gives each worker thread a copy with its own interpolator, sharing the
// rest (transport, budget and authenticators are thread-safe; authenticators are used under
// auth_lock).

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <semaphore>
#include <string>
#include <utility>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "connectors/kit/config_reader.h"
#include "connectors/sources/declarative_manifest/interpolation.h"
#include "http/http_client.h"

namespace sluice {

class ApiBudget;
class Authenticator;

//! Values to write into the connector's config, each at a path of object keys.
using ConfigValues = std::vector<std::pair<std::vector<std::string>, Json>>;
//! Serializes the run's authenticators (a token is fetched or refreshed once, by one thread).
//! `generation` counts renewals after a 401, so workers that got a 401 with the same token
//! renew it once between them.
struct AuthLock {
  std::recursive_mutex mu;  // recursive: a SessionToken login request is sent while it is held
  uint64_t generation = 0;
};

struct BuildContext {
  const Json* config = nullptr;  //!< the connector config without the manifest
  Interpolator* interpolator = nullptr;
  std::shared_ptr<HttpTransport> transport;
  std::string manifest_dir;      //!< JsonFileSchemaLoader paths are relative to it ("" = cwd)
  //! Waits `seconds`; false when the run is stopping (the caller then gives up).
  std::function<bool(double seconds)> sleep;
  //! Longest wait for one backoff; longer waits asked by the server fail the request.
  double max_backoff_seconds = 600;
  int64_t request_timeout_ms = 300'000;
  //! The manifest's api_budget (null: no limit), shared by the streams of one run.
  std::shared_ptr<ApiBudget> budget;
  //! Authenticators by their component JSON, shared by the streams of one run.
  std::map<std::string, std::shared_ptr<Authenticator>> authenticators;
  //! Writes values into the connector's config and reports the whole config to be persisted
  //! (an OAuthAuthenticator's refresh_token_updater: Airbyte's CONTROL message). Called from the
  //! reading thread. Null: nothing persists (the values live for the run only).
  std::function<Status(const ConfigValues&)> update_config;
  //! Components made at run time (DynamicDeclarativeStream's streams): components borrow their
  //! JSON, so it lives here, as long as the context (a deque: addresses stay put).
  std::deque<Json> made_components;
  std::shared_ptr<AuthLock> auth_lock = std::make_shared<AuthLock>();
  //! Workers reading a stream's partitions and slices at once: the manifest's concurrency_level
  //! (default_concurrency, at most max_concurrency); 1 without one.
  int concurrency = 1;
  //! When a read runs several streams at once (declarative_manifest_source.cc): `concurrency`
  //! permits shared by every (partition × slice) unit of the run's streams, so they read at most
  //! that many units at a time between them. Null otherwise.
  std::shared_ptr<std::counting_semaphore<>> unit_slots;
};

//! Holds one of BuildContext::unit_slots (none when it is null) for a unit's read.
class UnitSlot {
 public:
  explicit UnitSlot(const BuildContext& ctx) : slots_(ctx.unit_slots.get()) {
    if (slots_ != nullptr) slots_->acquire();
  }
  ~UnitSlot() {
    if (slots_ != nullptr) slots_->release();
  }
  UnitSlot(const UnitSlot&) = delete;
  UnitSlot& operator=(const UnitSlot&) = delete;

 private:
  std::counting_semaphore<>* slots_;
};

//! A component's `$parameters` (an empty object when it has none); every factory reads them.
inline const Json& ParametersOf(const Json& component) {
  static const Json kEmpty = Json::object();
  auto p = component.is_object() ? component.find("$parameters") : component.end();
  return p != component.end() && p->is_object() ? *p : kEmpty;
}
inline const Json& ParametersOf(const ConfigReader& r) {
  const Json& p = r.Raw("$parameters");
  return p.is_object() ? p : ParametersOf(Json());
}

}  // namespace sluice
