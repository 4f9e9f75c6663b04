#pragma once
// Refreshes and clears (Airbyte 1.0): which streams a job touches, what happens to their saved
// state, and the generation ids every stream of an attempt carries.
//
// Every stream of a connection has a generation (metadata: 0 until its first refresh or clear,
// +1 for each, started by the job's first attempt — later attempts keep it). The configured
// catalog handed to the destination carries, per stream, Airbyte's three fields:
//   sync_id               the job id;
//   generation_id         the stream's generation (every row written carries it);
//   minimum_generation_id the oldest generation whose rows stay when the stream completes:
//                         = generation_id for a refresh that removes records (Truncate), a
//                         clear, and overwrite; 0 (keep every row) otherwise — append and
//                         append_dedup, and a refresh that keeps records (Merge).
// A destination replaces a stream's rows only when its new generation commits, so a refresh
// that fails or is cancelled leaves the previous rows in place.

#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "metadata/metadata_types.h"
#include "platform/sync_catalog.h"
#include "protocol/catalog.h"

namespace sluice {

//! The selected streams of a syncCatalog (API form, as stored), in order, as streams of a job
//! with `action`.
std::vector<JobStream> SelectedJobStreams(const Json& sync_catalog, StreamAction action);

//! The job streams for `requested` streams of a connection: each must be a selected stream of
//! its syncCatalog (a namespace given as "" or absent matches a stream without one); a stream
//! named twice is kept once. Errors are ConfigErrors, one line per problem, named by
//! `field`[i] ("streams[1]: 'public.orders' is not a selected stream of the connection").
//! An empty `requested` is a ConfigError too (the caller decides what "all" means).
Result<std::vector<JobStream>> ResolveJobStreams(const Json& sync_catalog,
                                                 const std::vector<StreamDescriptor>& requested,
                                                 StreamAction action, std::string_view field);

//! The saved state without the entries of `streams`: their STREAM states and their entries in
//! a GLOBAL state's stream_states (the shared state stays). A LEGACY state cannot be split by
//! stream: it is dropped whole (every stream is read again — duplicates in append mode rather
//! than a refresh that silently skips old rows). A null state stays null. Errors: a state that
//! is not a list of Airbyte state messages (ConfigError naming the entry).
Result<Json> RemoveStreamStates(const Json& state, const std::vector<JobStream>& streams);

//! Sets sync_id, generation_id and minimum_generation_id (the rule above) on every stream of
//! both catalogs. A stream's generation is its job stream's (refreshed or cleared by this job),
//! else its entry in `generations`, else 0; streams are matched by the source's descriptor.
void SetGenerationIds(ConnectionCatalogs& catalogs, int64_t sync_id, const std::vector<StreamGeneration>& generations,
                      const std::vector<JobStream>& job_streams);

//! The job stream of `descriptor` (source side), or nullptr.
const JobStream* FindJobStream(const std::vector<JobStream>& job_streams, const StreamDescriptor& descriptor);

}  // namespace sluice
