#pragma once
// A small XML reader for S3 responses (ListBucketResult, Error, InitiateMultipartUploadResult,
// DeleteResult, ...): elements, text and the five predefined entities plus numeric character
// references. Attributes, comments, processing instructions and DOCTYPE are skipped; CDATA is
// text. Namespace prefixes are dropped from element names. Not a validating parser.

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace sluice {

struct XmlElement {
  std::string name;  //!< local name, without a namespace prefix
  std::string text;  //!< the concatenated character data directly inside this element
  std::vector<XmlElement> children;

  //! The first child named `name`, or nullptr.
  const XmlElement* Child(std::string_view name) const;
  //! The text of the first child named `name`, or "" when there is none.
  const std::string& ChildText(std::string_view name) const;
};

//! Parses a document and returns its root element. Errors (SystemError) say where parsing stopped.
Result<XmlElement> ParseXml(std::string_view document);

//! Appends `text` with &, <, >, " and ' escaped (for request bodies).
void AppendXmlEscaped(std::string& out, std::string_view text);

}  // namespace sluice
