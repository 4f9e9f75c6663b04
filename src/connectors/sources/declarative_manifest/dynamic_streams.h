#pragma once
// The CDK's dynamic components (declarative_component_schema.yaml; "experimental" there):
//
// - DynamicDeclarativeStream (the manifest's `dynamic_streams`): a `stream_template`
//   (a DeclarativeStream) and a `components_resolver` — HttpComponentsResolver: its `retriever`
//   (a SimpleRetriever) reads records, and for each one (`components_values`) a copy of the
//   template gets each `components_mapping` entry (ComponentMappingDefinition: `field_path`,
//   whose items may be templates and `*` wildcards; `value`, a template over config,
//   components_values, stream_template_config; `value_type`; `create_or_update`: also create a
//   missing path — else only existing paths are set). Each copy is then a stream: types and
//   `$parameters` propagated again, the dynamic stream's own `$parameters` first
//   (`use_parent_parameters`, default true).
// - DynamicSchemaLoader: its `retriever` reads one record; the list at
//   `schema_type_identifier.schema_pointer` holds property definitions, each named at
//   `key_pointer` and typed at `type_pointer` (default "string"); `types_mapping` (TypesMap
//   current_type → target_type, optional `condition` over raw_schema) turns the API's types into
//   Airbyte's (string, boolean, date, timestamp_with(out)_timezone, time_with(out)_timezone,
//   integer, number, array, object; a pair [t, u] → oneOf). Unknown types are config errors
//   naming the property, as the CDK raises. schema_filter / schema_transformations: not
//   supported (a config error naming the path).
//
// Used by declarative_manifest_source.cc (BuildStreams) and declarative_stream.cc (JsonSchema).
// I/O; one thread.

#include <memory>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "connectors/kit/config_reader.h"
#include "connectors/sources/declarative_manifest/build_context.h"

namespace sluice {

//! The stream components of every DynamicDeclarativeStream of the manifest: `templates` is the
//! manifest's `dynamic_streams` with references resolved but parameters not yet propagated,
//! `resolved` the same after propagation (whose resolvers' retrievers are read). The returned
//! components live in ctx.made_components.
Result<std::vector<const Json*>> ResolveDynamicStreams(const Json& templates, const Json& resolved, BuildContext& ctx);

//! The JSON Schema of the DynamicSchemaLoader at `loader` (I/O: its retriever's first record).
Result<Json> DynamicSchema(ConfigReader loader, BuildContext& ctx);

//! Sets `value` at `path` in `target` (`*` matches every key or item of one level); only where
//! the path exists unless `create` (then missing objects are made; `*` never creates). Returns
//! how many places were set. For ComponentMappingDefinition; exposed for tests.
size_t SetMappedValue(Json& target, const std::vector<std::string>& path, const Json& value, bool create);

}  // namespace sluice
