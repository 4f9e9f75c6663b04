#pragma once
// What every component factory of a manifest needs: the config, the interpolator, the HTTP
// transport, where relative files live, how to wait, and the components shared across streams
// (an OAuth token is fetched once per run, not once per stream).
// One per Source call (Check / Discover / Read); used from that call's thread only.

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "base/json.h"
#include "connectors/kit/config_reader.h"
#include "connectors/sources/declarative_manifest/interpolation.h"
#include "http/http_client.h"

namespace sluice {

class ApiBudget;
class Authenticator;

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
};

//! A component's `$parameters` (an empty object when it has none); every factory reads them.
inline const Json& ParametersOf(const ConfigReader& r) {
  static const Json kEmpty = Json::object();
  const Json& p = r.Raw("$parameters");
  return p.is_object() ? p : kEmpty;
}

}  // namespace sluice
