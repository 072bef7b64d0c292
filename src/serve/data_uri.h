// RFC 4648 base64 and RFC 2397 data URIs, as clients send images inline
// ("data:image/png;base64,iVBOR..."). Strict: a character outside the alphabet, bad padding
// or a truncated group is an error, so that garbage never reaches an image decoder as bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace anymal::serve {

// The decoded bytes, or nullopt when `text` is not valid base64 (padding optional).
std::optional<std::vector<uint8_t>> base64_decode(std::string_view text);
std::string base64_encode(const uint8_t* data, size_t n);

struct DataUri {
  std::string media_type;  // lower-cased, e.g. "image/png"; "text/plain" when omitted
  std::vector<uint8_t> bytes;
};
// Parses "data:[<media type>][;param=value]*[;base64],<data>". Throws ApiError 400 naming
// `param` when the URI is not a data URI, or its payload does not decode; only base64
// payloads are accepted (images are binary).
DataUri parse_data_uri(std::string_view uri, const std::string& param);

}  // namespace anymal::serve
