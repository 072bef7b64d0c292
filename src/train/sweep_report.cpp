#include "train/sweep_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "data/canvas.h"
#include "formats/image.h"

namespace anymal::train {

namespace {

// A number of a run's result, 0 when absent or not a number (results come from files).
double number(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<double>() : 0.0;
}
double flops_of(const RunRow& r) { return number(r.result, "train_flops"); }
double accuracy_of(const RunRow& r) { return number(r.result, "accuracy"); }

std::string params_text(const nlohmann::json& p) {
  std::string s;
  for (const auto& [k, v] : p.items())
    s += (s.empty() ? "" : " ") + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
  return s;
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

data::Rgb family_colour(const std::string& family) {
  if (family == "mlp") return {31, 119, 180};
  if (family == "resampler") return {255, 127, 14};
  if (family == "xattn") return {44, 160, 44};
  return {120, 120, 120};
}

}  // namespace

std::vector<std::string> pareto_front(const std::vector<RunRow>& runs) {
  std::vector<const RunRow*> done;  // finished, with a compute figure to place them by
  for (const RunRow& r : runs)
    if (r.status == "done" && flops_of(r) > 0) done.push_back(&r);
  std::sort(done.begin(), done.end(), [](const RunRow* a, const RunRow* b) {
    return flops_of(*a) != flops_of(*b) ? flops_of(*a) < flops_of(*b)
                                        : accuracy_of(*a) > accuracy_of(*b);
  });
  std::vector<std::string> front;
  double best = -1;
  for (const RunRow* r : done)
    if (accuracy_of(*r) > best) {
      best = accuracy_of(*r);
      front.push_back(r->id);
    }
  return front;
}

std::string sweep_table(const std::vector<RunRow>& runs, bool per_task) {
  std::vector<const RunRow*> order;
  for (const RunRow& r : runs) order.push_back(&r);
  std::stable_sort(order.begin(), order.end(), [](const RunRow* a, const RunRow* b) {
    if ((a->status == "done") != (b->status == "done")) return a->status == "done";
    return accuracy_of(*a) > accuracy_of(*b);
  });
  std::set<std::string> tasks;
  auto tasks_of = [](const RunRow& r) {
    return r.result.is_object() && r.result.contains("tasks") && r.result["tasks"].is_object()
               ? r.result["tasks"]
               : nlohmann::json::object();
  };
  if (per_task)
    for (const RunRow& r : runs) {
      const nlohmann::json per = tasks_of(r);  // items() refers into it: keep it alive
      for (const auto& [t, v] : per.items())
        if (t != "overall" && t != "heldout") tasks.insert(t);
    }
  const std::vector<std::string> front = pareto_front(runs);
  std::string out =
      "| run | family | values | status | accuracy | heldout | final loss | tok/s | "
      "wall s | params | trainable | train TFLOPs | pareto |";
  for (const std::string& t : tasks) out += " " + t + " |";
  out += "\n|---|---|---|---|---|---|---|---|---|---|---|---|---|";
  for (size_t i = 0; i < tasks.size(); ++i) out += "---|";
  out += "\n";
  for (const RunRow* r : order) {
    const nlohmann::json& x = r->result;
    const bool done = r->status == "done";
    auto num = [&](const char* key, const char* f, double scale = 1) {
      return done && x.is_object() && x.contains(key) && x[key].is_number()
                 ? fmt(f, x[key].get<double>() * scale)
                 : std::string("");
    };
    const nlohmann::json per = tasks_of(*r);
    out += "| " + r->id + " | " + r->family + " | " + params_text(r->params) + " | " + r->status +
           " | " + num("accuracy", "%.1f%%", 100) + " | " + num("heldout", "%.1f%%", 100) + " | " +
           num("final_loss", "%.3f") + " | " + num("tokens_per_s", "%.0f") + " | " +
           num("wall_s", "%.0f") + " | " + num("parameters", "%.0f") + " | " +
           num("trainable", "%.0f") + " | " + num("train_flops", "%.2f", 1e-12) + " | " +
           (std::find(front.begin(), front.end(), r->id) != front.end() ? "yes" : "") + " |";
    for (const std::string& t : tasks)
      out += " " +
             (done && per.contains(t) ? fmt("%.0f", 100 * number(per, t.c_str())) : std::string()) +
             " |";
    out += "\n";
  }
  for (const RunRow* r : order)
    if (r->status == "failed") out += "\nfailed " + r->id + ": " + r->error.substr(0, 600) + "\n";
  return out;
}

void plot_pareto(const std::vector<RunRow>& runs, const std::string& path) {
  constexpr int W = 640, H = 400, L = 50, R = 20, T = 30, B = 40;
  data::Canvas c(W, H, {255, 255, 255});
  c.line(L, T, L, H - B, 1, {0, 0, 0});
  c.line(L, H - B, W - R, H - B, 1, {0, 0, 0});
  c.text(L + 4, 8, "ACCURACY VS TRAINING FLOPS (LOG)   PARETO FRONT IN RED", 1, {0, 0, 0});
  std::vector<const RunRow*> done;
  for (const RunRow& r : runs)
    if (r.status == "done" && flops_of(r) > 0) done.push_back(&r);
  if (!done.empty()) {
    double lo = 1e300, hi = 0, top = 0;
    for (const RunRow* r : done) {
      lo = std::min(lo, std::log10(flops_of(*r)));
      hi = std::max(hi, std::log10(flops_of(*r)));
      top = std::max(top, accuracy_of(*r));
    }
    lo = std::floor(lo * 4) / 4 - 0.05;
    hi = std::ceil(hi * 4) / 4 + 0.05;
    top = std::min(1.0, std::ceil(top * 10 + 0.5) / 10);
    auto x = [&](double f) { return float(L + (W - L - R) * (std::log10(f) - lo) / (hi - lo)); };
    auto y = [&](double a) { return float(H - B - (H - B - T) * a / top); };
    // The front as a staircase.
    const std::vector<std::string> front = pareto_front(runs);
    std::map<std::string, const RunRow*> by_id;
    for (const RunRow* r : done) by_id[r->id] = r;
    for (size_t i = 0; i + 1 < front.size(); ++i) {
      const RunRow &a = *by_id[front[i]], &b = *by_id[front[i + 1]];
      c.line(x(flops_of(a)), y(accuracy_of(a)), x(flops_of(b)), y(accuracy_of(a)), 1.5f,
             {214, 39, 40});
      c.line(x(flops_of(b)), y(accuracy_of(a)), x(flops_of(b)), y(accuracy_of(b)), 1.5f,
             {214, 39, 40});
    }
    for (const RunRow* r : done) {
      const float px = x(flops_of(*r)), py = y(accuracy_of(*r));
      const bool on_front = std::find(front.begin(), front.end(), r->id) != front.end();
      if (on_front) c.fill_ellipse(px, py, 6, 6, {214, 39, 40});
      c.fill_ellipse(px, py, 4, 4, family_colour(r->family));
    }
    for (double d = std::ceil(lo); d <= hi; d += 1) {
      c.line(x(std::pow(10, d)), H - B, x(std::pow(10, d)), H - B + 4, 1, {0, 0, 0});
      c.text(int(x(std::pow(10, d))) - 8, H - B + 8, "1E" + std::to_string(int(d)), 1, {0, 0, 0});
    }
    for (int i = 0; i <= 4; ++i) {
      const double a = top * i / 4;
      c.line(L - 4, y(a), L, y(a), 1, {0, 0, 0});
      c.text(4, int(y(a)) - 3, fmt("%.0f", 100 * a), 1, {0, 0, 0});
    }
  }
  int lx = L + 8;
  for (const char* f : {"mlp", "resampler", "xattn"}) {
    c.fill_ellipse(float(lx), float(H - 12), 4, 4, family_colour(f));
    c.text(lx + 8, H - 15, f, 1, {0, 0, 0});
    lx += 24 + data::Canvas::text_width(f, 1);
  }
  save_png(path, c.image());
}

}  // namespace anymal::train
