#pragma once
// `sluice connector NAME spec|check|discover|read|write …`: one built-in connector speaking the
// Airbyte protocol on stdout, exactly as an Airbyte connector image does.

#include <optional>
#include <string>

namespace sluice {

struct ConnectorCommandArgs {
  std::string name;     //!< "source-faker", "faker", "destination-local", …
  std::string verb;     //!< spec | check | discover | read | write
  std::string config;   //!< --config FILE
  std::string catalog;  //!< --catalog FILE
  std::string state;    //!< --state FILE
};

//! Returns the process exit code (0, or the failure type's code after a TRACE ERROR).
int RunConnectorCommand(const ConnectorCommandArgs& args);

}  // namespace sluice
