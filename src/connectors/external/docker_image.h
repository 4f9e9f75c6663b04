#pragma once
// Docker images as external connectors: Airbyte names its connectors by image
// ("airbyte/source-stripe:5.4.1"); one that sluice has no built-in for runs through `docker run -i`
// when a Docker daemon answers. Used by connection/connector_runtime.cc.

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace sluice {

//! True for a Docker image reference such as "airbyte/source-stripe:5.4.1" or
//! "ghcr.io/acme/source-x" (a '/', no blanks, not a path starting with '/' or '.').
bool LooksLikeDockerImage(std::string_view name);

//! The argv prefix that runs `image` as an external connector (external_connector.h):
//!   docker run --rm -i --init --network host -v TMP:TMP IMAGE
//! TMP is $TMPDIR (or /tmp), under which the external connector writes its config, catalog and
//! state files, so the container sees them at the same paths; host networking lets it reach the
//! databases this machine reaches. ConfigError saying what is missing when `docker` is not on PATH
//! or its daemon does not answer `docker version`. Runs `docker version` once per call.
Result<std::vector<std::string>> DockerImageCommand(const std::string& image);

}  // namespace sluice
