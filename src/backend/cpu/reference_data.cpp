// Reference kernels that have no fast variant: RoPE, row gather/scatter, patchify.
#include <cmath>
#include <cstring>
#include <vector>

#include "backend/cpu/reference.h"
#include "core/thread_pool.h"

namespace anymal::cpu::reference {

void rope_table(const int32_t* pos, int64_t tokens, int64_t n_rot, float base, double* cs) {
  const int64_t half = n_rot / 2;
  // The frequencies depend on the pair only: computed once, not once per position.
  std::vector<double> freq(static_cast<size_t>(half));
  for (int64_t i = 0; i < half; ++i)
    freq[size_t(i)] = std::pow(double(base), -2.0 * double(i) / double(n_rot));
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t i = 0; i < half; ++i) {
      const double theta = double(pos[t]) * freq[size_t(i)];
      cs[(t * half + i) * 2] = std::cos(theta);
      cs[(t * half + i) * 2 + 1] = std::sin(theta);
    }
}

void rope_apply(const float* x, float* y, const double* cs, int64_t batch, int64_t tokens,
                int64_t heads, int64_t dim, int64_t n_rot, bool neox, bool inverse) {
  const int64_t half = n_rot / 2;
  parallel_for(batch * tokens, 8, [&](int64_t lo, int64_t hi) {
    for (int64_t bt = lo; bt < hi; ++bt) {
      const double* row = cs + (bt % tokens) * half * 2;
      for (int64_t i = 0; i < half; ++i) {
        const double c = row[2 * i], s = inverse ? -row[2 * i + 1] : row[2 * i + 1];
        const int64_t i0 = neox ? i : 2 * i, i1 = neox ? i + half : 2 * i + 1;
        for (int64_t h = 0; h < heads; ++h) {
          const float* xr = x + (bt * heads + h) * dim;
          float* yr = y + (bt * heads + h) * dim;
          const double a = xr[i0], b = xr[i1];
          yr[i0] = float(a * c - b * s);
          yr[i1] = float(a * s + b * c);
        }
      }
      for (int64_t h = 0; h < heads; ++h)
        for (int64_t d = n_rot; d < dim; ++d)
          y[(bt * heads + h) * dim + d] = x[(bt * heads + h) * dim + d];
    }
  });
}

void rope(const float* x, float* y, const int32_t* pos, int64_t batch, int64_t tokens,
          int64_t heads, int64_t dim, int64_t n_rot, float base, bool neox, bool inverse) {
  std::vector<double> cs(static_cast<size_t>(tokens * (n_rot / 2) * 2));
  rope_table(pos, tokens, n_rot, base, cs.data());
  rope_apply(x, y, cs.data(), batch, tokens, heads, dim, n_rot, neox, inverse);
}

void gather_rows(const float* table, const int32_t* ids, int64_t n, int64_t dim, float* out) {
  for (int64_t i = 0; i < n; ++i)
    std::memcpy(out + i * dim, table + int64_t(ids[i]) * dim, size_t(dim) * sizeof(float));
}

void scatter_add_rows(const float* src, const int32_t* ids, int64_t n, int64_t dim, float* table) {
  for (int64_t i = 0; i < n; ++i) {
    float* row = table + int64_t(ids[i]) * dim;
    for (int64_t d = 0; d < dim; ++d) row[d] += src[i * dim + d];
  }
}

namespace {
// Calls fn(image_index, patch_index) for every element, in patch layout order.
template <typename Fn>
void for_each_patch_element(int64_t batch, int64_t channels, int64_t height, int64_t width,
                            int64_t patch, Fn&& fn) {
  int64_t gw = width / patch, gh = height / patch, feat = channels * patch * patch;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t py = 0; py < gh; ++py)
      for (int64_t px = 0; px < gw; ++px)
        for (int64_t c = 0; c < channels; ++c)
          for (int64_t y = 0; y < patch; ++y)
            for (int64_t x = 0; x < patch; ++x) {
              int64_t img = ((b * channels + c) * height + py * patch + y) * width + px * patch + x;
              int64_t pat = ((b * gh + py) * gw + px) * feat + (c * patch + y) * patch + x;
              fn(img, pat);
            }
}
}  // namespace

void patchify(const float* img, float* patches, int64_t batch, int64_t channels, int64_t height,
              int64_t width, int64_t patch) {
  for_each_patch_element(batch, channels, height, width, patch,
                         [&](int64_t i, int64_t p) { patches[p] = img[i]; });
}

void unpatchify(const float* patches, float* img, int64_t batch, int64_t channels, int64_t height,
                int64_t width, int64_t patch) {
  for_each_patch_element(batch, channels, height, width, patch,
                         [&](int64_t i, int64_t p) { img[i] = patches[p]; });
}

}  // namespace anymal::cpu::reference
