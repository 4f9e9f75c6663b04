#include "platform/sync_catalog.h"

namespace sluice {

// Being written (issue 5): the platform owner fills these in.
Json StreamToApi(const AirbyteStream&) { return Json::object(); }
Json SyncCatalogFromDiscovered(const Catalog&, const ConnectorSpec*) { return Json::object(); }
Result<Json> NormalizeSyncCatalog(const Json& sync_catalog, const ConnectorSpec&) { return sync_catalog; }
Result<ConnectionCatalogs> BuildConnectionCatalogs(const Connection&, const Catalog&, const ConnectorSpec&) {
  return Status::SystemError("not yet");
}

}  // namespace sluice
