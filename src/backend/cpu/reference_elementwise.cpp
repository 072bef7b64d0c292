// Reference kernels: elementwise, norms, softmax, cross-entropy. Plain loops in double where
// it costs nothing to be exact; these are the oracle every fast variant is tested against.
#include <cmath>
#include <vector>

#include "backend/cpu/reference.h"

namespace anymal::cpu::reference {

namespace {

constexpr double kSqrt2OverPi = 0.7978845608028654;

double unary_f(UnaryOp op, double x) {
  switch (op) {
    case UnaryOp::gelu_tanh:
      return 0.5 * x * (1 + std::tanh(kSqrt2OverPi * (x + 0.044715 * x * x * x)));
    case UnaryOp::gelu_erf:
      return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
    case UnaryOp::quick_gelu:
      return x / (1 + std::exp(-1.702 * x));
    case UnaryOp::silu:
      return x / (1 + std::exp(-x));
    case UnaryOp::tanh:
      return std::tanh(x);
  }
  return 0;
}

double unary_df(UnaryOp op, double x) {
  switch (op) {
    case UnaryOp::gelu_tanh: {
      double u = kSqrt2OverPi * (x + 0.044715 * x * x * x);
      double t = std::tanh(u);
      double du = kSqrt2OverPi * (1 + 3 * 0.044715 * x * x);
      return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du;
    }
    case UnaryOp::gelu_erf: {
      double cdf = 0.5 * (1 + std::erf(x / std::sqrt(2.0)));
      double pdf = std::exp(-0.5 * x * x) / std::sqrt(2 * M_PI);
      return cdf + x * pdf;
    }
    case UnaryOp::quick_gelu: {
      double s = 1 / (1 + std::exp(-1.702 * x));
      return s + 1.702 * x * s * (1 - s);
    }
    case UnaryOp::silu: {
      double s = 1 / (1 + std::exp(-x));
      return s + x * s * (1 - s);
    }
    case UnaryOp::tanh: {
      const double t = std::tanh(x);
      return 1 - t * t;
    }
  }
  return 0;
}

}  // namespace

void binary(BinaryOp op, const float* a, int64_t n, const float* b, int64_t m, float* out) {
  for (int64_t i = 0; i < n; ++i) {
    float x = a[i], y = b[i % m];
    switch (op) {
      case BinaryOp::add:
        out[i] = x + y;
        break;
      case BinaryOp::sub:
        out[i] = x - y;
        break;
      case BinaryOp::mul:
        out[i] = x * y;
        break;
      case BinaryOp::div:
        out[i] = x / y;
        break;
    }
  }
}

void unary(UnaryOp op, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = float(unary_f(op, x[i]));
}

void unary_backward(UnaryOp op, const float* x, const float* gy, float* gx, int64_t n) {
  for (int64_t i = 0; i < n; ++i) gx[i] = float(gy[i] * unary_df(op, x[i]));
}

void swiglu(const float* gate, const float* up, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = float(unary_f(UnaryOp::silu, gate[i]) * up[i]);
}

void swiglu_backward(const float* gate, const float* up, const float* gout, float* ggate,
                     float* gup, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    ggate[i] = float(gout[i] * up[i] * unary_df(UnaryOp::silu, gate[i]));
    gup[i] = float(gout[i] * unary_f(UnaryOp::silu, gate[i]));
  }
}

void adamw(float* p, float* m, float* v, const float* g, int64_t n, const AdamWParams& k) {
  for (int64_t j = 0; j < n; ++j) {
    p[j] *= k.decay;
    m[j] = k.b1 * m[j] + (1 - k.b1) * g[j];
    v[j] = k.b2 * v[j] + (1 - k.b2) * g[j] * g[j];
    p[j] -= k.step_size * m[j] / (std::sqrt(v[j]) / k.bc2_sqrt + k.eps);
  }
}

void rms_norm(const float* x, const float* w, float* y, int64_t rows, int64_t cols, float eps) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    double ss = 0;
    for (int64_t c = 0; c < cols; ++c) ss += double(xr[c]) * xr[c];
    double inv = 1 / std::sqrt(ss / cols + eps);
    for (int64_t c = 0; c < cols; ++c) y[r * cols + c] = float(xr[c] * inv * (w ? w[c] : 1.0f));
  }
}

void rms_norm_backward(const float* x, const float* w, const float* gy, float* gx, float* gw,
                       int64_t rows, int64_t cols, float eps) {
  std::vector<double> gw_acc(size_t(cols), 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    const float* gr = gy + r * cols;
    double ss = 0;
    for (int64_t c = 0; c < cols; ++c) ss += double(xr[c]) * xr[c];
    double inv = 1 / std::sqrt(ss / cols + eps);
    // y = x*inv*w; dx = inv*(gw_x - x * inv² * mean(gw_x * x)), gw_x = gy*w
    double dot = 0;
    for (int64_t c = 0; c < cols; ++c) dot += double(gr[c]) * (w ? w[c] : 1.0) * xr[c];
    for (int64_t c = 0; c < cols; ++c) {
      double g = double(gr[c]) * (w ? w[c] : 1.0);
      gx[r * cols + c] = float(inv * (g - xr[c] * inv * inv * dot / cols));
      gw_acc[size_t(c)] += double(gr[c]) * xr[c] * inv;
    }
  }
  if (gw)
    for (int64_t c = 0; c < cols; ++c) gw[c] = float(gw_acc[size_t(c)]);
}

void layer_norm(const float* x, const float* w, const float* b, float* y, int64_t rows,
                int64_t cols, float eps) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    double mean = 0, var = 0;
    for (int64_t c = 0; c < cols; ++c) mean += xr[c];
    mean /= cols;
    for (int64_t c = 0; c < cols; ++c) var += (xr[c] - mean) * (xr[c] - mean);
    double inv = 1 / std::sqrt(var / cols + eps);
    for (int64_t c = 0; c < cols; ++c)
      y[r * cols + c] = float((xr[c] - mean) * inv * (w ? w[c] : 1.0f) + (b ? b[c] : 0.0f));
  }
}

void layer_norm_backward(const float* x, const float* w, const float* gy, float* gx, float* gw,
                         float* gb, int64_t rows, int64_t cols, float eps) {
  std::vector<double> gw_acc(size_t(cols), 0.0), gb_acc(size_t(cols), 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    const float* gr = gy + r * cols;
    double mean = 0, var = 0;
    for (int64_t c = 0; c < cols; ++c) mean += xr[c];
    mean /= cols;
    for (int64_t c = 0; c < cols; ++c) var += (xr[c] - mean) * (xr[c] - mean);
    double inv = 1 / std::sqrt(var / cols + eps);
    double sum_g = 0, sum_gx = 0;  // of g = gy*w, and of g * xhat
    for (int64_t c = 0; c < cols; ++c) {
      double g = double(gr[c]) * (w ? w[c] : 1.0), xhat = (xr[c] - mean) * inv;
      sum_g += g;
      sum_gx += g * xhat;
      gw_acc[size_t(c)] += double(gr[c]) * xhat;
      gb_acc[size_t(c)] += gr[c];
    }
    for (int64_t c = 0; c < cols; ++c) {
      double g = double(gr[c]) * (w ? w[c] : 1.0), xhat = (xr[c] - mean) * inv;
      gx[r * cols + c] = float(inv * (g - sum_g / cols - xhat * sum_gx / cols));
    }
  }
  for (int64_t c = 0; c < cols; ++c) {
    if (gw) gw[c] = float(gw_acc[size_t(c)]);
    if (gb) gb[c] = float(gb_acc[size_t(c)]);
  }
}

void softmax(const float* x, float* y, int64_t rows, int64_t cols, int64_t causal_q) {
  for (int64_t r = 0; r < rows; ++r) {
    int64_t visible = cols;
    if (causal_q > 0) visible = std::min<int64_t>(cols, r % causal_q + (cols - causal_q) + 1);
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    double mx = -INFINITY;
    for (int64_t c = 0; c < visible; ++c) mx = std::max<double>(mx, xr[c]);
    double sum = 0;
    for (int64_t c = 0; c < visible; ++c) sum += std::exp(xr[c] - mx);
    for (int64_t c = 0; c < cols; ++c) yr[c] = c < visible ? float(std::exp(xr[c] - mx) / sum) : 0;
  }
}

void softmax_backward(const float* y, const float* gy, float* gx, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    double dot = 0;
    for (int64_t c = 0; c < cols; ++c) dot += double(y[r * cols + c]) * gy[r * cols + c];
    for (int64_t c = 0; c < cols; ++c)
      gx[r * cols + c] = float(y[r * cols + c] * (gy[r * cols + c] - dot));
  }
}

void cross_entropy(const float* logits, const int32_t* targets, float* loss, float* lse,
                   int64_t rows, int64_t cols, int32_t ignore_index) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* lr = logits + r * cols;
    double mx = -INFINITY, sum = 0;
    for (int64_t c = 0; c < cols; ++c) mx = std::max<double>(mx, lr[c]);
    for (int64_t c = 0; c < cols; ++c) sum += std::exp(lr[c] - mx);
    double l = mx + std::log(sum);
    lse[r] = float(l);
    loss[r] = targets[r] == ignore_index ? 0.0f : float(l - lr[targets[r]]);
  }
}

void cross_entropy_backward(const float* logits, const int32_t* targets, const float* lse,
                            float gscale, float* glogits, int64_t rows, int64_t cols,
                            int32_t ignore_index) {
  for (int64_t r = 0; r < rows; ++r) {
    float* gr = glogits + r * cols;
    bool ignored = targets[r] == ignore_index;
    for (int64_t c = 0; c < cols; ++c) {
      double p = std::exp(double(logits[r * cols + c]) - lse[r]);
      gr[c] = ignored ? 0.0f : float((p - (c == targets[r] ? 1.0 : 0.0)) * gscale);
    }
  }
}

}  // namespace anymal::cpu::reference
