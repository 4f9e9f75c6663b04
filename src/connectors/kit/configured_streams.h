#pragma once
// ReadConfiguredStreams: the Read loop of a source whose config lists its streams by name (as
// the file-based sources do): for each stream of the configured catalog, in order, find its
// config entry, make its StreamBatcher, Start() it, read, and Finish() with the read's status.
//
//   return ReadConfiguredStreams(parsed.streams, catalog, out,
//       [&](StreamConfig& s, const ConfiguredStream& cs, StreamBatcher& batcher) { ... });
//
// Runs on the caller's thread (Source::Read's); stops at the first stream that fails.

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "connectors/kit/stream_batcher.h"
#include "protocol/catalog.h"

namespace sluice {

//! `streams`: the parsed config's entries, each with a `name`. `read(entry, configured stream,
//! batcher)` reads one stream into the batcher (checkpoints included) and returns its status;
//! a stream of the catalog that the config lacks (or that has a namespace) is a ConfigError,
//! an unbound catalog a SystemError.
template <typename StreamConfig, typename ReadFn>
Status ReadConfiguredStreams(std::vector<StreamConfig>& streams, const ConfiguredCatalog& catalog, Emitter& out,
                             ReadFn&& read) {
  for (size_t i = 0; i < catalog.streams.size(); ++i) {
    const ConfiguredStream& cs = catalog.streams[i];
    StreamConfig* entry = nullptr;
    for (StreamConfig& s : streams) {
      if (s.name == cs.stream.name) entry = &s;
    }
    if (entry == nullptr || cs.stream.namespace_) {
      return Status::ConfigError("stream '" + cs.descriptor().ToString() + "' of the catalog is not in the config");
    }
    if (!cs.schema) return Status::SystemError("stream '" + cs.stream.name + "': the catalog is not bound");
    StreamBatcher batcher(out, static_cast<uint32_t>(i), cs.schema);
    SLUICE_RETURN_IF_ERROR(batcher.Start());
    SLUICE_RETURN_IF_ERROR(batcher.Finish(read(*entry, cs, batcher)));
  }
  return Status::Ok();
}

}  // namespace sluice
