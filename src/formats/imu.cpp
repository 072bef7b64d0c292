#include "formats/imu.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>

#include "core/error.h"
#include "core/log.h"
#include "core/mapped_file.h"

namespace anymal {

namespace {

constexpr std::array<std::string_view, 7> kColumns = {"t", "ax", "ay", "az", "gx", "gy", "gz"};

[[noreturn]] void fail(std::string_view name, const std::string& problem) {
  throw_error(ErrorKind::invalid_input, std::string(name) + ": " + problem);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// The fields of one line, split at commas.
void split_fields(std::string_view line, std::vector<std::string_view>& out) {
  out.clear();
  for (size_t at = 0;;) {
    size_t comma = line.find(',', at);
    out.push_back(trim(line.substr(at, comma == std::string_view::npos ? comma : comma - at)));
    if (comma == std::string_view::npos) return;
    at = comma + 1;
  }
}

}  // namespace

ImuCsv parse_imu_csv(std::string_view text, std::string_view name, const ImuOptions& opt) {
  if (text.empty()) fail(name, "empty file, not an IMU CSV");
  const int64_t lines = int64_t(std::count(text.begin(), text.end(), '\n')) + 1;
  if (lines - 1 > opt.max_rows)
    fail(name, "about " + std::to_string(lines - 1) + " rows, more than the " +
                   std::to_string(opt.max_rows) + " accepted");
  std::vector<std::string_view> fields;
  size_t at = 0;
  auto next_line = [&](std::string_view& line) {
    if (at >= text.size()) return false;
    size_t nl = text.find('\n', at);
    line = text.substr(at, nl == std::string_view::npos ? nl : nl - at);
    at = nl == std::string_view::npos ? text.size() : nl + 1;
    return true;
  };
  std::string_view line;
  next_line(line);
  split_fields(line, fields);
  std::array<int, 7> col{};
  for (size_t k = 0; k < kColumns.size(); ++k) {
    auto it = std::find_if(fields.begin(), fields.end(), [&](std::string_view f) {
      return f.size() == kColumns[k].size() &&
             std::equal(f.begin(), f.end(), kColumns[k].begin(),
                        [](char a, char b) { return std::tolower(uint8_t(a)) == b; });
    });
    if (it == fields.end())
      fail(name, "the header has no '" + std::string(kColumns[k]) +
                     "' column (it must name t,ax,ay,az,gx,gy,gz)");
    col[k] = int(it - fields.begin());
  }
  const size_t n_fields = fields.size();
  ImuCsv out;
  for (int64_t row = 1; next_line(line); ++row) {
    if (trim(line).empty()) continue;
    split_fields(line, fields);
    if (fields.size() != n_fields)
      fail(name, "row " + std::to_string(row) + " has " + std::to_string(fields.size()) +
                     " fields, the header " + std::to_string(n_fields));
    std::array<double, 7> v{};
    for (size_t k = 0; k < kColumns.size(); ++k) {
      std::string_view f = fields[size_t(col[k])];
      auto [end, ec] = std::from_chars(f.data(), f.data() + f.size(), v[k]);
      if (ec != std::errc() || end != f.data() + f.size() || !std::isfinite(v[k]))
        fail(name, "row " + std::to_string(row) + ", column " + std::string(kColumns[k]) + ": '" +
                       std::string(f.substr(0, 32)) + "' is not a finite number");
    }
    if (!out.t.empty() && !(v[0] > out.t.back()))
      fail(name, "row " + std::to_string(row) + ": t = " + std::string(fields[size_t(col[0])]) +
                     " does not increase (times must be strictly increasing)");
    out.t.push_back(v[0]);
    for (size_t k = 1; k < kColumns.size(); ++k) out.values.push_back(float(v[k]));
  }
  return out;
}

ImuTrace read_imu(std::string_view text, std::string_view name, const ImuOptions& opt) {
  ImuCsv csv = parse_imu_csv(text, name, opt);
  if (csv.t.size() < 2) fail(name, "fewer than 2 samples: no motion to resample");
  if (!(opt.rate_hz > 0)) fail(name, "the resampling rate must be positive");
  ImuTrace out;
  out.rate_hz = opt.rate_hz;
  const double t0 = csv.t.front(), span = csv.t.back() - t0;
  const double kept = std::min(span, opt.max_seconds);
  out.clipped = span > opt.max_seconds;
  if (out.clipped)
    log_warn("%.*s: %.1f s of motion, only the first %.1f s are used", int(name.size()),
             name.data(), span, opt.max_seconds);
  out.n = int64_t(std::floor(kept * opt.rate_hz + 1e-9)) + 1;
  out.data.resize(size_t(out.n * kImuChannels));
  size_t seg = 0;  // csv.t[seg] <= t < csv.t[seg + 1]
  for (int64_t i = 0; i < out.n; ++i) {
    const double t = t0 + double(i) / opt.rate_hz;
    while (seg + 2 < csv.t.size() && csv.t[seg + 1] <= t) ++seg;
    const double a = std::clamp((t - csv.t[seg]) / (csv.t[seg + 1] - csv.t[seg]), 0.0, 1.0);
    for (int c = 0; c < kImuChannels; ++c) {
      const float lo = csv.values[seg * kImuChannels + size_t(c)];
      const float hi = csv.values[(seg + 1) * kImuChannels + size_t(c)];
      out.data[size_t(i * kImuChannels + c)] = float(lo + a * (hi - lo));
    }
  }
  return out;
}

ImuTrace load_imu(const std::string& path, const ImuOptions& opt) {
  auto file = MappedFile::open(path);
  return read_imu(std::string_view(reinterpret_cast<const char*>(file->data()), file->size()), path,
                  opt);
}

void normalize_imu(ImuTrace& trace) {
  for (int c = 0; c < kImuChannels; ++c) {
    double sum = 0, sq = 0;
    for (int64_t i = 0; i < trace.n; ++i) sum += trace.data[size_t(i * kImuChannels + c)];
    const double mean = trace.n ? sum / double(trace.n) : 0;
    for (int64_t i = 0; i < trace.n; ++i) {
      const double d = trace.data[size_t(i * kImuChannels + c)] - mean;
      sq += d * d;
    }
    const double sd = trace.n ? std::sqrt(sq / double(trace.n)) : 0;
    for (int64_t i = 0; i < trace.n; ++i) {
      float& v = trace.data[size_t(i * kImuChannels + c)];
      v = sd > 1e-8 ? float((v - mean) / sd) : 0.0f;
    }
  }
}

}  // namespace anymal
