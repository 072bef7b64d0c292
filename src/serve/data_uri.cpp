#include "serve/data_uri.h"

#include <array>
#include <cctype>

#include "serve/api_error.h"

namespace anymal::serve {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int8_t, 256> make_decode_table() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) t[uint8_t(kAlphabet[i])] = int8_t(i);
  return t;
}
constexpr std::array<int8_t, 256> kDecode = make_decode_table();

}  // namespace

std::optional<std::vector<uint8_t>> base64_decode(std::string_view text) {
  size_t n = text.size();
  size_t pad = 0;
  while (pad < 2 && n > 0 && text[n - 1] == '=') --n, ++pad;
  if (pad > 0 && (n + pad) % 4 != 0) return std::nullopt;  // padding only completes a group
  if (n % 4 == 1) return std::nullopt;                     // 6 bits cannot end a byte
  std::vector<uint8_t> out;
  out.reserve(n / 4 * 3 + 2);
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; ++i) {
    int8_t v = kDecode[uint8_t(text[i])];
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(uint8_t(acc >> bits));
      acc &= (1u << bits) - 1;
    }
  }
  if (acc != 0) return std::nullopt;  // non-canonical: leftover bits must be zero
  return out;
}

std::string base64_encode(const uint8_t* data, size_t n) {
  std::string out;
  out.reserve((n + 2) / 3 * 4);
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = uint32_t(data[i]) << 16;
    if (i + 1 < n) v |= uint32_t(data[i + 1]) << 8;
    if (i + 2 < n) v |= data[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < n ? kAlphabet[(v >> 6) & 63] : '=';
    out += i + 2 < n ? kAlphabet[v & 63] : '=';
  }
  return out;
}

DataUri parse_data_uri(std::string_view uri, const std::string& param) {
  constexpr std::string_view kScheme = "data:";
  if (uri.size() < kScheme.size() ||
      !std::equal(kScheme.begin(), kScheme.end(), uri.begin(),
                  [](char a, char b) { return a == std::tolower(uint8_t(b)); })) {
    std::string shown(uri.substr(0, 40));
    throw bad_request("'" + shown + (uri.size() > 40 ? "...'" : "'") +
                          " is not a data URI: send the image inline as "
                          "data:image/png;base64,... (the server fetches no URLs)",
                      param);
  }
  size_t comma = uri.find(',');
  if (comma == std::string_view::npos)
    throw bad_request("the data URI has no ',' before its data", param);
  std::string_view header = uri.substr(kScheme.size(), comma - kScheme.size());
  DataUri out;
  bool is_base64 = false;
  size_t semi = header.find(';');
  std::string_view type = header.substr(0, semi);
  for (char ch : type) out.media_type += char(std::tolower(uint8_t(ch)));
  if (out.media_type.empty()) out.media_type = "text/plain";
  while (semi != std::string_view::npos) {
    size_t next = header.find(';', semi + 1);
    std::string_view p = header.substr(
        semi + 1, next == std::string_view::npos ? std::string_view::npos : next - semi - 1);
    if (p == "base64") is_base64 = true;
    semi = next;
  }
  if (!is_base64) throw bad_request("the data URI is not base64-encoded (';base64,')", param);
  auto bytes = base64_decode(uri.substr(comma + 1));
  if (!bytes) throw bad_request("the data URI's base64 payload is malformed", param);
  out.bytes = std::move(*bytes);
  return out;
}

}  // namespace anymal::serve
