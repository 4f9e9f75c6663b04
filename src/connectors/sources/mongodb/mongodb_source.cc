#include "connectors/sources/mongodb/mongodb_source.h"

#include <fmt/format.h>

#include "base/log.h"
#include "connectors/sdk/registry.h"
#include "connectors/sources/mongodb/mongodb_client.h"
#include "connectors/sources/mongodb/mongodb_discover.h"
#include "connectors/sources/mongodb/mongodb_reader.h"
#include "connectors/sources/mongodb/mongodb_source_config.h"

namespace sluice {

namespace {

//! Change streams need a replica set (or a sharded cluster through mongos).
Status CheckTopology(MongoClient& client) {
  BsonPtr hello = BsonFromJson(R"({"hello": 1})");
  SLUICE_ASSIGN_OR_RETURN(BsonPtr reply, client.Command(hello.get(), "asking the server's role (hello)", "admin"));
  bson_iter_t it;
  const bool replica_set = bson_iter_init_find(&it, reply.get(), "setName") && BSON_ITER_HOLDS_UTF8(&it);
  bool mongos = false;
  if (bson_iter_init_find(&it, reply.get(), "msg") && BSON_ITER_HOLDS_UTF8(&it)) {
    mongos = std::string_view(bson_iter_utf8(&it, nullptr)) == "isdbgrid";
  }
  if (!replica_set && !mongos) {
    return Status::ConfigError("database_config.connection_string: the server is a standalone mongod; change streams "
                               "(and so this source) need a replica set — a single-member replica set will do "
                               "(mongod --replSet rs0, then rs.initiate())");
  }
  return Status::Ok();
}

class MongoSource final : public Source, public ContinuousSource {
 public:
  ConnectorSpec Spec() const override {
    return ConnectorSpec::ForSource("https://docs.airbyte.com/integrations/sources/mongodb-v2", MongoSourceSpecJson(), true);
  }

  Status Check(const Json& config) override {
    SLUICE_ASSIGN_OR_RETURN(const MongoSourceConfig parsed, ParseMongoSourceConfig(config));
    SLUICE_ASSIGN_OR_RETURN(auto client, MongoClient::Connect(parsed));
    SLUICE_RETURN_IF_ERROR(CheckTopology(*client));
    SLUICE_ASSIGN_OR_RETURN(const std::vector<std::string> names, client->ListCollections());
    if (names.empty()) {
      return Status::ConfigError(fmt::format("database_config.database: database '{}' has no collections the user "
                                             "can see (check the name and the user's read role)",
                                             parsed.database));
    }
    return Status::Ok();
  }

  Result<Catalog> Discover(const Json& config) override {
    SLUICE_ASSIGN_OR_RETURN(const MongoSourceConfig parsed, ParseMongoSourceConfig(config));
    SLUICE_ASSIGN_OR_RETURN(auto client, MongoClient::Connect(parsed));
    return DiscoverMongo(*client, parsed);
  }

  Status Read(const Json& config, const ConfiguredCatalog& catalog, const StateStore& state, Emitter& out) override {
    SLUICE_ASSIGN_OR_RETURN(const MongoSourceConfig parsed, ParseMongoSourceConfig(config));
    return ReadMongo(parsed, catalog, state, out);
  }

  Status CheckContinuous(const Json& config) const override {
    return ParseMongoSourceConfig(config).status();  // always CDC: change streams
  }

  Status ReadContinuous(const Json& config, const ConfiguredCatalog& catalog, const StateStore& state, Emitter& out,
                        const std::atomic<bool>& end) override {
    SLUICE_ASSIGN_OR_RETURN(const MongoSourceConfig parsed, ParseMongoSourceConfig(config));
    return ReadMongo(parsed, catalog, state, out, &end);
  }
};

}  // namespace

std::unique_ptr<Source> MakeMongoSource() { return std::make_unique<MongoSource>(); }

SLUICE_REGISTER_SOURCE("source-mongodb-v2", "MongoDB",
                       "MongoDB collections: fields discovered by sampling, a resumable _id snapshot, then change "
                       "streams (resume tokens)",
                       MakeMongoSource);

}  // namespace sluice
