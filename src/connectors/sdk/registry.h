#pragma once
// The connector registry: built-in connectors by name. Names follow Airbyte's ("source-faker",
// "destination-local"); the short name ("faker", "local") works wherever it is unambiguous.
// Built-ins are registered in one place: app/builtin_connectors.cc.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "connectors/sdk/destination.h"
#include "connectors/sdk/source.h"

namespace sluice {

enum class ConnectorKind { kSource, kDestination };

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
  //! Finds "source-faker", or "faker" when `kind` narrows it to one. Errors list what exists.
  Result<const ConnectorInfo*> Find(std::string_view name, std::optional<ConnectorKind> kind = std::nullopt) const;

 private:
  std::vector<ConnectorInfo> connectors_;
};

//! Defined in app/builtin_connectors.cc: registers every built-in connector.
void RegisterBuiltinConnectors(Registry& registry);

}  // namespace sluice
