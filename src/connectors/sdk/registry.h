#pragma once
// The connector registry: built-in connectors by name. Names follow Airbyte's ("source-faker",
// "destination-local"); the short name ("faker", "local") works wherever it is unambiguous, and
// so do Airbyte's definition id and docker repository of the connector a built-in replaces
// ("decd338e-…", "airbyte/source-postgres:3.7.0"; the table is in airbyte_definitions.h).
// Each built-in registers itself next to its code, with SLUICE_REGISTER_CONNECTOR in its own
// folder; src/connectors/CMakeLists.txt lists the folders and links them whole into the binary.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "connectors/sdk/airbyte_definitions.h"
#include "connectors/sdk/destination.h"
#include "connectors/sdk/source.h"

namespace sluice {

struct ConnectorInfo {
  std::string name;         //!< "source-faker"
  ConnectorKind kind;
  std::string title;        //!< "Sample Data (Faker)"
  std::string description;  //!< one line
  std::function<std::unique_ptr<Source>()> make_source;            //!< sources
  std::function<std::unique_ptr<Destination>()> make_destination;  //!< destinations
};

class Registry {
 public:
  //! The process-wide registry, with every built-in registered.
  static Registry& Builtins();

  void Add(ConnectorInfo info);
  const std::vector<ConnectorInfo>& connectors() const { return connectors_; }
  //! Finds "source-faker", "faker" when `kind` narrows it to one, or an Airbyte definition id or
  //! docker repository (with or without tag) of a row in AirbyteDefinitions(). Config errors list
  //! what exists; an Airbyte connector without a built-in says so.
  Result<const ConnectorInfo*> Find(std::string_view name, std::optional<ConnectorKind> kind = std::nullopt) const;

 private:
  std::vector<ConnectorInfo> connectors_;
};

//! Adds a built-in to Registry::Builtins() during static initialization. Use through the macro
//! in the connector's own .cc file (one per connector):
//!   SLUICE_REGISTER_SOURCE("source-faker", "Sample Data (Faker)", "one-line description", MakeFakerSource);
//!   SLUICE_REGISTER_DESTINATION("destination-local", "Local files", "…", MakeLocalDestination);
struct BuiltinRegistration {
  explicit BuiltinRegistration(ConnectorInfo info);
};

#define SLUICE_REGISTER_CONNECTOR_CONCAT2(a, b) a##b
#define SLUICE_REGISTER_CONNECTOR_CONCAT(a, b) SLUICE_REGISTER_CONNECTOR_CONCAT2(a, b)
#define SLUICE_REGISTER_CONNECTOR(...)                                                                  \
  static const ::sluice::BuiltinRegistration SLUICE_REGISTER_CONNECTOR_CONCAT(sluice_builtin_, __LINE__)( \
      ::sluice::ConnectorInfo __VA_ARGS__)
#define SLUICE_REGISTER_SOURCE(name, title, description, factory) \
  SLUICE_REGISTER_CONNECTOR({name, ::sluice::ConnectorKind::kSource, title, description, factory, nullptr})
#define SLUICE_REGISTER_DESTINATION(name, title, description, factory) \
  SLUICE_REGISTER_CONNECTOR({name, ::sluice::ConnectorKind::kDestination, title, description, nullptr, factory})

}  // namespace sluice
