#pragma once
// The config error every component factory of the runtime gives for a component type it does
// not run: the manifest path of its `type`, what kind of component, the type, a note when it is
// a custom Python component (a `Custom…` type or a `class_name`), and the supported types.

#include <string>
#include <string_view>

#include <fmt/format.h>

#include "base/status.h"
#include "connectors/kit/config_reader.h"

namespace sluice {

//! e.g. "manifest $.streams[0].retriever.paginator.type: unsupported paginator type
//! 'CustomPaginator' (custom Python components cannot run in sluice); supported: …".
inline Status UnsupportedComponent(const ConfigReader& r, std::string_view what, const std::string& type,
                                   std::string_view supported) {
  const bool custom = type.starts_with("Custom") || r.Has("class_name");
  return Status::ConfigError(fmt::format("manifest {}: unsupported {} '{}'{}; supported: {}", r.PathOf("type"), what, type,
                                         custom ? " (custom Python components cannot run in sluice)" : "", supported));
}

}  // namespace sluice
