#include "connectors/sdk/registry.h"

#include <gtest/gtest.h>

#include <set>

#include "connectors/sdk/airbyte_definitions.h"

namespace sluice {
namespace {

TEST(AirbyteDefinitionsTest, EveryRowIsWellFormedAndUnique) {
  std::set<std::string_view> ids, repositories;
  for (const AirbyteDefinition& d : AirbyteDefinitions()) {
    EXPECT_EQ(d.definition_id.size(), 36u) << d.docker_repository;
    EXPECT_TRUE(ids.insert(d.definition_id).second) << d.definition_id;
    EXPECT_TRUE(repositories.insert(d.docker_repository).second) << d.docker_repository;
    const std::string prefix = d.kind == ConnectorKind::kSource ? "airbyte/source-" : "airbyte/destination-";
    EXPECT_TRUE(d.docker_repository.starts_with(prefix)) << d.docker_repository;
    ASSERT_FALSE(d.sluice_names.empty());
  }
}

TEST(AirbyteDefinitionsTest, FindsByIdRepositoryAndImage) {
  const AirbyteDefinition* pg = FindAirbyteDefinition("decd338e-5647-4c0b-adf4-da0e75f5a750");
  ASSERT_NE(pg, nullptr);
  EXPECT_EQ(pg->docker_repository, "airbyte/source-postgres");
  EXPECT_EQ(FindAirbyteDefinition("DECD338E-5647-4C0B-ADF4-DA0E75F5A750"), pg);
  EXPECT_EQ(FindAirbyteDefinition("airbyte/source-postgres"), pg);
  EXPECT_EQ(FindAirbyteDefinition("airbyte/source-postgres:3.7.0"), pg);
  EXPECT_EQ(FindAirbyteDefinition("docker.io/airbyte/source-postgres@sha256:abc"), pg);
  EXPECT_EQ(FindAirbyteDefinition("airbyte/source-postgres", ConnectorKind::kDestination), nullptr);
  EXPECT_EQ(FindAirbyteDefinition("airbyte/source-nothing"), nullptr);
  EXPECT_EQ(FindAirbyteDefinition("postgres"), nullptr);
  EXPECT_EQ(DockerRepositoryOf("localhost:5000/airbyte/source-x:1.0"), "localhost:5000/airbyte/source-x");
  EXPECT_EQ(AirbyteIdentityOf("destination-postgres")->definition_id, "25c5221d-dce2-4163-ade9-739ef790f503");
  EXPECT_EQ(AirbyteIdentityOf("destination-local")->docker_repository, "airbyte/destination-local-json");
  EXPECT_EQ(AirbyteIdentityOf("source-nothing"), nullptr);
}

class NoSource : public Source {
 public:
  ConnectorSpec Spec() const override { return {}; }
  Status Check(const Json&) override { return Status::Ok(); }
  Result<Catalog> Discover(const Json&) override { return Catalog{}; }
  Status Read(const Json&, const ConfiguredCatalog&, const StateStore&, Emitter&) override { return Status::Ok(); }
};

TEST(RegistryTest, ResolvesAirbyteNamesToTheBuiltInThatServesThem) {
  Registry registry;
  auto make = [] { return std::unique_ptr<Source>(new NoSource()); };
  registry.Add({"source-postgres", ConnectorKind::kSource, "Postgres", "", make, nullptr});
  registry.Add({"source-mongodb", ConnectorKind::kSource, "MongoDB", "", make, nullptr});
  for (const char* name : {"source-postgres", "postgres", "airbyte/source-postgres", "airbyte/source-postgres:latest",
                           "decd338e-5647-4c0b-adf4-da0e75f5a750"}) {
    auto found = registry.Find(name, ConnectorKind::kSource);
    ASSERT_TRUE(found.ok()) << name << ": " << found.status().ToString();
    EXPECT_EQ((*found)->name, "source-postgres") << name;
  }
  // A row's later names serve it when the first is not registered.
  auto mongo = registry.Find("airbyte/source-mongodb-v2");
  ASSERT_TRUE(mongo.ok()) << mongo.status().ToString();
  EXPECT_EQ((*mongo)->name, "source-mongodb");
  // A known Airbyte connector without a built-in says so, with its id.
  auto mysql = registry.Find("435bb9a5-7887-4809-aa58-28c27df0d7ad");
  ASSERT_FALSE(mysql.ok());
  EXPECT_EQ(mysql.status().failure_type(), FailureType::kConfig);
  EXPECT_NE(mysql.status().message().find("Airbyte's airbyte/source-mysql"), std::string::npos)
      << mysql.status().message();
  auto unknown = registry.Find("airbyte/source-nothing");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("unknown connector"), std::string::npos);
}

}  // namespace
}  // namespace sluice
