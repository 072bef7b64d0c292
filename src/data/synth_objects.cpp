#include "data/synth_objects.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace anymal::data {

namespace {

constexpr Rgb kBlack{20, 20, 20}, kWhite{245, 245, 245}, kGray{120, 120, 120};

struct Species {
  const char* name;
  Rgb wing, mark;
  int pattern;  // 0 veins, 1 border, 2 spots, 3 stripes, 4 band
};
constexpr Species kSpecies[] = {{"monarch", {235, 120, 20}, kBlack, 0},
                                {"blue morpho", {30, 90, 230}, kBlack, 1},
                                {"cabbage white", {240, 240, 230}, kBlack, 2},
                                {"swallowtail", {245, 215, 40}, kBlack, 3},
                                {"red admiral", {30, 25, 25}, {220, 40, 30}, 4}};

void draw_butterfly(Canvas& c, const std::string& species, float cx, float cy, float r) {
  const Species* sp = &kSpecies[0];
  for (const Species& s : kSpecies)
    if (species == s.name) sp = &s;
  for (int side : {-1, 1}) {
    const float wx = cx + float(side) * r * 0.5f;
    c.fill_ellipse(wx, cy - r * 0.3f, r * 0.5f, r * 0.45f, sp->wing);  // forewing
    c.fill_ellipse(wx * 0.9f + cx * 0.1f, cy + r * 0.35f, r * 0.38f, r * 0.35f, sp->wing);
    switch (sp->pattern) {
      case 0:  // veins
        c.line(cx, cy - r * 0.1f, wx + float(side) * r * 0.4f, cy - r * 0.6f, r * 0.08f, sp->mark);
        c.line(cx, cy, wx + float(side) * r * 0.3f, cy + r * 0.5f, r * 0.08f, sp->mark);
        break;
      case 1:  // dark border
        c.fill_rect(wx + (side < 0 ? -r * 0.5f : r * 0.35f), cy - r * 0.7f,
                    wx + (side < 0 ? -r * 0.35f : r * 0.5f), cy + r * 0.1f, sp->mark);
        break;
      case 2:  // spots
        c.fill_ellipse(wx + float(side) * r * 0.1f, cy - r * 0.35f, r * 0.12f, r * 0.12f, sp->mark);
        break;
      case 3:  // stripes
        for (int k = -1; k <= 1; ++k)
          c.line(wx + float(k) * r * 0.2f, cy - r * 0.7f, wx + float(k) * r * 0.2f, cy + r * 0.05f,
                 r * 0.08f, sp->mark);
        break;
      default:  // band
        c.line(wx - r * 0.4f, cy - r * 0.45f, wx + r * 0.4f, cy - r * 0.2f, r * 0.15f, sp->mark);
    }
  }
  c.fill_ellipse(cx, cy, r * 0.09f, r * 0.55f, kBlack);  // body
}

void draw_house(Canvas& c, const SceneObject& o, float x0, float y0, float x1, float y1) {
  const float w = x1 - x0, roof = (y1 - y0) * 0.25f;
  c.fill_polygon({{x0 - w * 0.05f, y0 + roof}, {(x0 + x1) / 2, y0}, {x1 + w * 0.05f, y0 + roof}},
                 {150, 60, 40});
  c.fill_rect(x0, y0 + roof, x1, y1, colour_rgb(o.colour));
  const float fh = (y1 - y0 - roof) / float(std::max(o.floors, 1));
  const int n = std::max(o.windows_per_floor, 1);
  const float ww = w / float(2 * n + 1);
  for (int f = 0; f < o.floors; ++f)
    for (int k = 0; k < n; ++k) {
      const float wx = x0 + ww * float(2 * k + 1), wy = y0 + roof + fh * float(f) + fh * 0.25f;
      c.fill_rect(wx, wy, wx + ww, wy + std::max(fh * 0.5f, 2.0f), {170, 210, 240});
    }
}

void draw_text_board(Canvas& c, const SceneObject& o, float x0, float y0, float x1, float y1) {
  const bool sign = o.cls == "sign";
  const float cx = (x0 + x1) / 2;
  const int tw = Canvas::text_width(o.text, 1);
  const float bw = float(tw) + 6, bh = 13;
  const float by = sign ? y0 + (y1 - y0) * 0.1f : (y0 + y1) / 2 - bh / 2;
  if (sign) c.fill_rect(cx - 1.5f, by + bh, cx + 1.5f, y1, kGray);  // post
  c.fill_rect(cx - bw / 2 - 1, by - 1, cx + bw / 2 + 1, by + bh + 1, kBlack);
  c.fill_rect(cx - bw / 2, by, cx + bw / 2, by + bh,
              sign ? Rgb{250, 250, 250} : Rgb{255, 250, 220});
  c.text(int(std::lround(cx - float(tw) / 2)), int(std::lround(by + 3)), o.text, 1,
         sign ? Rgb{200, 20, 20} : kBlack);
}

void draw_produce(Canvas& c, const std::string& cls, float cx, float cy, float r) {
  if (cls == "apple") {
    c.fill_ellipse(cx, cy + r * 0.05f, r * 0.8f, r * 0.75f, {210, 30, 35});
    c.line(cx, cy - r * 0.6f, cx + r * 0.15f, cy - r * 0.95f, r * 0.12f, {90, 60, 20});
    c.fill_ellipse(cx + r * 0.3f, cy - r * 0.8f, r * 0.25f, r * 0.1f, {40, 150, 40});
  } else if (cls == "banana") {
    c.fill_polygon({{cx - r * 0.9f, cy - r * 0.3f},
                    {cx - r * 0.3f, cy + r * 0.4f},
                    {cx + r * 0.4f, cy + r * 0.35f},
                    {cx + r * 0.9f, cy - r * 0.35f},
                    {cx + r * 0.35f, cy + r * 0.05f},
                    {cx - r * 0.3f, cy + 0.05f * r}},
                   {245, 220, 50});
  } else if (cls == "tomato") {
    c.fill_ellipse(cx, cy, r * 0.85f, r * 0.65f, {230, 45, 30});
    c.fill_polygon({{cx - r * 0.3f, cy - r * 0.6f},
                    {cx, cy - r * 0.45f},
                    {cx + r * 0.3f, cy - r * 0.6f},
                    {cx, cy - r * 0.75f}},
                   {40, 140, 40});
  } else if (cls == "carrot") {
    c.fill_polygon(
        {{cx - r * 0.3f, cy - r * 0.6f}, {cx + r * 0.3f, cy - r * 0.6f}, {cx, cy + r * 0.9f}},
        {240, 130, 20});
    c.line(cx, cy - r * 0.6f, cx - r * 0.25f, cy - r * 0.95f, r * 0.12f, {40, 150, 40});
    c.line(cx, cy - r * 0.6f, cx + r * 0.25f, cy - r * 0.95f, r * 0.12f, {40, 150, 40});
  } else if (cls == "lemon") {
    c.fill_ellipse(cx, cy, r * 0.85f, r * 0.55f, {250, 235, 60});
    c.fill_ellipse(cx + r * 0.85f, cy, r * 0.12f, r * 0.1f, {250, 235, 60});
  } else {  // potato
    c.fill_ellipse(cx, cy, r * 0.8f, r * 0.55f, {165, 120, 70});
    c.fill_ellipse(cx - r * 0.3f, cy - r * 0.1f, r * 0.07f, r * 0.07f, {110, 75, 40});
    c.fill_ellipse(cx + r * 0.25f, cy + r * 0.15f, r * 0.07f, r * 0.07f, {110, 75, 40});
  }
}

}  // namespace

const std::vector<NamedColour>& colours() {
  static const std::vector<NamedColour> v = {{"red", {220, 30, 30}},     {"green", {30, 170, 50}},
                                             {"blue", {30, 70, 220}},    {"yellow", {245, 220, 30}},
                                             {"orange", {245, 140, 20}}, {"purple", {140, 50, 180}},
                                             {"white", {250, 250, 250}}, {"black", {25, 25, 25}},
                                             {"pink", {250, 130, 190}},  {"brown", {130, 80, 40}}};
  return v;
}

Rgb colour_rgb(const std::string& name) {
  for (const NamedColour& c : colours())
    if (name == c.name) return c.rgb;
  throw_error(ErrorKind::internal, "unknown colour " + name);
}

const std::vector<std::string>& colourable_classes() {
  static const std::vector<std::string> v = {"circle", "square", "triangle", "star", "car",
                                             "house",  "cup",    "key",      "phone"};
  return v;
}

const std::vector<std::string>& produce_classes() {
  static const std::vector<std::string> v = {"apple",  "banana", "tomato",
                                             "carrot", "lemon",  "potato"};
  return v;
}

const std::vector<std::string>& butterfly_species() {
  static const std::vector<std::string> v = [] {
    std::vector<std::string> names;
    for (const Species& s : kSpecies) names.push_back(s.name);
    return names;
  }();
  return v;
}

std::string plural(const std::string& cls) {
  if (cls == "butterfly") return "butterflies";
  if (cls == "tomato" || cls == "potato") return cls + "es";
  if (cls == "house") return "houses";
  return cls + "s";
}

std::string article(const std::string& word) {
  return std::string("aeiou").find(word.empty() ? 'x' : word[0]) != std::string::npos ? "an" : "a";
}

std::string SceneObject::phrase() const {
  std::string s = cls;
  if (!colour.empty()) s = colour + " " + cls;
  if (cls == "butterfly") s = species + " butterfly";
  return article(s) + " " + s;
}

void draw_object(Canvas& c, const SceneObject& o, float x0, float y0, float x1, float y1) {
  const float cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  const float r = std::min(x1 - x0, y1 - y0) / 2;
  const Rgb col = o.colour.empty() ? kGray : colour_rgb(o.colour);
  const Rgb edge = o.colour == "black" ? Rgb{90, 90, 90} : kBlack;
  const std::string& k = o.cls;
  if (k == "circle") {
    c.fill_ellipse(cx, cy, r + 1, r + 1, edge);
    c.fill_ellipse(cx, cy, r, r, col);
  } else if (k == "square") {
    c.fill_rect(cx - r * 0.85f - 1, cy - r * 0.85f - 1, cx + r * 0.85f + 1, cy + r * 0.85f + 1,
                edge);
    c.fill_rect(cx - r * 0.85f, cy - r * 0.85f, cx + r * 0.85f, cy + r * 0.85f, col);
  } else if (k == "triangle") {
    c.fill_polygon({{cx, cy - r - 1.5f},
                    {cx + r + 1.5f, cy + r * 0.8f + 1},
                    {cx - r - 1.5f, cy + r * 0.8f + 1}},
                   edge);
    c.fill_polygon({{cx, cy - r}, {cx + r, cy + r * 0.8f}, {cx - r, cy + r * 0.8f}}, col);
  } else if (k == "star") {
    std::vector<Point> pts, outer;
    for (int i = 0; i < 10; ++i) {
      const float a = float(i) * 3.14159265f / 5 - 3.14159265f / 2;
      const float rr = i % 2 ? r * 0.45f : r;
      pts.push_back({cx + rr * std::cos(a), cy + rr * std::sin(a)});
      outer.push_back({cx + (rr + 1.2f) * std::cos(a), cy + (rr + 1.2f) * std::sin(a)});
    }
    c.fill_polygon(outer, edge);
    c.fill_polygon(pts, col);
  } else if (k == "car") {
    c.fill_rect(cx - r, cy - r * 0.1f, cx + r, cy + r * 0.4f, col);
    c.fill_polygon({{cx - r * 0.55f, cy - r * 0.1f},
                    {cx - r * 0.3f, cy - r * 0.55f},
                    {cx + r * 0.35f, cy - r * 0.55f},
                    {cx + r * 0.6f, cy - r * 0.1f}},
                   col);
    c.fill_rect(cx - r * 0.25f, cy - r * 0.45f, cx + r * 0.3f, cy - r * 0.15f, {170, 210, 240});
    for (float wx : {cx - r * 0.55f, cx + r * 0.55f}) {
      c.fill_ellipse(wx, cy + r * 0.45f, r * 0.25f, r * 0.25f, kBlack);
      c.fill_ellipse(wx, cy + r * 0.45f, r * 0.1f, r * 0.1f, kGray);
    }
  } else if (k == "house") {
    draw_house(c, o, cx - r * 0.8f, cy - r, cx + r * 0.8f, cy + r);
  } else if (k == "tree") {
    c.fill_rect(cx - r * 0.12f, cy + r * 0.2f, cx + r * 0.12f, cy + r, {110, 70, 30});
    c.fill_ellipse(cx, cy - r * 0.2f, r * 0.7f, r * 0.75f, {30, 130, 40});
  } else if (k == "cup") {
    c.fill_ellipse(cx + r * 0.55f, cy, r * 0.3f, r * 0.3f, col);
    c.fill_ellipse(cx + r * 0.55f, cy, r * 0.15f, r * 0.15f, {200, 200, 200});
    c.fill_polygon({{cx - r * 0.6f, cy - r * 0.6f},
                    {cx + r * 0.6f, cy - r * 0.6f},
                    {cx + r * 0.45f, cy + r * 0.7f},
                    {cx - r * 0.45f, cy + r * 0.7f}},
                   col);
    c.fill_rect(cx - r * 0.6f, cy - r * 0.7f, cx + r * 0.6f, cy - r * 0.6f, edge);
  } else if (k == "key") {
    c.fill_ellipse(cx - r * 0.5f, cy, r * 0.4f, r * 0.4f, col);
    c.fill_ellipse(cx - r * 0.5f, cy, r * 0.15f, r * 0.15f, {235, 235, 235});
    c.fill_rect(cx - r * 0.15f, cy - r * 0.1f, cx + r, cy + r * 0.1f, col);
    c.fill_rect(cx + r * 0.6f, cy, cx + r * 0.72f, cy + r * 0.35f, col);
    c.fill_rect(cx + r * 0.85f, cy, cx + r * 0.97f, cy + r * 0.3f, col);
  } else if (k == "phone") {
    c.fill_rect(cx - r * 0.5f, cy - r, cx + r * 0.5f, cy + r, col);
    c.fill_rect(cx - r * 0.4f, cy - r * 0.8f, cx + r * 0.4f, cy + r * 0.65f, {30, 40, 60});
    c.fill_ellipse(cx, cy + r * 0.83f, r * 0.1f, r * 0.1f, kGray);
  } else if (k == "butterfly") {
    draw_butterfly(c, o.species, cx, cy, r);
  } else if (k == "sign" || k == "card") {
    draw_text_board(c, o, x0, y0, x1, y1);
  } else {
    draw_produce(c, k, cx, cy, r);
  }
}

}  // namespace anymal::data
