#pragma once
// The first step of reading an Airbyte declarative manifest: references and parameters, as the
// low-code CDK's ManifestReferenceResolver and ManifestComponentTransformer do.
//
//  1. `$ref: "#/definitions/x"` (a JSON pointer into the manifest; the older
//     `"*ref(definitions.x)"` string form too) is replaced by the referenced value, with the
//     sibling keys of `$ref` overriding the referenced mapping's keys; references may chain.
//  2. Every component gets its default `type` from its parent field (DeclarativeStream.retriever
//     → SimpleRetriever, SimpleRetriever.requester → HttpRequester, ...), and `$parameters` flow
//     down: a component's parameters are its parent's overridden by its own, they fill its
//     missing (or empty) fields, and they stay on it as `$parameters` for `{{ parameters.x }}`.
//     JSON Schemas (type: object) are left alone.
// Pure functions.

#include <string>

#include "base/json.h"
#include "base/status.h"

namespace sluice {

//! `manifest` with every reference resolved. A missing target or a cycle is a ConfigError
//! naming the `$ref`'s path in the manifest.
Result<Json> ResolveManifestReferences(const Json& manifest);
//! Types and parameters propagated through the resolved manifest (step 2).
Json PropagateManifestParameters(const Json& resolved);
//! Both steps.
Result<Json> ResolveManifest(const Json& manifest);

}  // namespace sluice
