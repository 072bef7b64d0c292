#include "data/synth_world.h"

#include <algorithm>
#include <map>
#include <set>

#include "core/error.h"
#include "core/rng.h"
#include "data/synth_objects.h"

namespace anymal::data {

namespace {

struct Background {
  const char* name;
  const char* caption;  // the creative caption's opening
  Rgb top, bottom;
};
constexpr Background kBackgrounds[] = {
    {"park", "A day in the park", {200, 225, 245}, {195, 230, 185}},
    {"room", "A quiet room", {235, 225, 205}, {215, 200, 180}},
    {"street", "A walk in the city", {205, 215, 230}, {185, 185, 185}},
    {"beach", "A sunny day at the beach", {195, 225, 250}, {240, 225, 180}},
};

const std::vector<std::string> kSignWords = {"STOP",  "EXIT", "OPEN", "PARK", "SHOP",   "CAFE",
                                             "HOTEL", "BANK", "TAXI", "BUS",  "MARKET", "MUSEUM"};
// Spanish and French words on signs, with their English translation.
const std::vector<std::pair<std::string, std::string>> kDictionary = {
    {"SALIDA", "exit"}, {"ABIERTO", "open"}, {"CERRADO", "closed"}, {"PELIGRO", "danger"},
    {"AGUA", "water"},  {"PAN", "bread"},    {"PLAYA", "beach"},    {"CALLE", "street"},
    {"SORTIE", "exit"}, {"OUVERT", "open"},  {"FERME", "closed"},   {"EAU", "water"},
    {"PAIN", "bread"},  {"PLAGE", "beach"},  {"GARE", "station"},   {"BIBLIO", "library"}};
struct Recipe {
  const char *a, *b, *dish;
};
constexpr Recipe kRecipes[] = {
    {"apple", "banana", "fruit salad"},     {"tomato", "carrot", "tomato soup"},
    {"carrot", "potato", "vegetable stew"}, {"apple", "lemon", "apple pie"},
    {"tomato", "potato", "potato salad"},   {"banana", "lemon", "banana bread"},
    {"lemon", "potato", "lemon potatoes"},  {"apple", "carrot", "carrot cake"}};
const char* const kPositions[] = {"top left", "top right", "bottom left", "bottom right"};

template <class T>
const T& pick(Rng& rng, const std::vector<T>& v) {
  return v[rng.below(v.size())];
}

bool is_heldout(const std::string& colour, const std::string& cls) {
  for (const auto& [c, k] : heldout_pairs())
    if (c == colour && k == cls) return true;
  return false;
}

// Builds one scene: objects in distinct quadrants (text objects take a whole row).
class SceneBuilder {
 public:
  SceneBuilder(Rng& rng, Split split) : rng_(rng), split_(split) {
    for (int c = 0; c < 4; ++c) free_.push_back(c);
    for (size_t i = free_.size(); i > 1; --i) std::swap(free_[i - 1], free_[rng_.below(i)]);
  }
  int free_cells() const { return int(free_.size()); }

  SceneObject& add(const std::string& cls) {
    SceneObject o;
    o.cls = cls;
    o.cell = free_.back();
    free_.pop_back();
    o.scale = 0.6f + 0.3f * rng_.uniform();
    if (std::find(colourable_classes().begin(), colourable_classes().end(), cls) !=
        colourable_classes().end())
      o.colour = colour_for(cls);
    if (cls == "butterfly") o.species = pick(rng_, butterfly_species());
    if (cls == "house") {
      o.floors = 1 + int(rng_.below(3));
      o.windows_per_floor = 1 + int(rng_.below(3));
    }
    objects_.push_back(o);
    return objects_.back();
  }
  // A sign or card across a whole row; the other cells of that row are taken.
  SceneObject& add_text(const std::string& cls, const std::string& text) {
    int row = int(rng_.below(2));
    free_.erase(std::remove_if(free_.begin(), free_.end(), [&](int c) { return c / 2 == row; }),
                free_.end());
    SceneObject o;
    o.cls = cls;
    o.text = text;
    o.cell = -1 - row;  // a row, not a cell
    objects_.push_back(o);
    return objects_.back();
  }
  // A filler object whose class is neither in `avoid` nor already in the scene (so questions
  // about one object stay unambiguous and captions name each thing once).
  void add_filler(std::set<std::string> avoid) {
    for (const SceneObject& o : objects_) avoid.insert(o.cls);
    std::vector<std::string> pool;
    for (const auto& c : colourable_classes()) pool.push_back(c);
    for (const auto& c : produce_classes()) pool.push_back(c);
    pool.push_back("tree");
    pool.push_back("butterfly");
    std::erase_if(pool, [&](const std::string& c) { return avoid.count(c) > 0; });
    add(pick(rng_, pool));
  }
  std::string colour_for(const std::string& cls) {
    for (;;) {
      const std::string c = colours()[rng_.below(colours().size())].name;
      if (split_ != Split::train || !is_heldout(c, cls)) return c;
    }
  }
  std::vector<SceneObject>& objects() { return objects_; }

 private:
  Rng& rng_;
  Split split_;
  std::vector<int> free_;
  std::vector<SceneObject> objects_;
};

std::string join_phrases(const std::vector<SceneObject>& objs) {
  std::string s;
  for (size_t i = 0; i < objs.size(); ++i) {
    if (i) s += i + 1 == objs.size() ? " and " : ", ";
    s += objs[i].phrase();
  }
  return s;
}

// Objects in reading order (top row first, left to right).
std::vector<SceneObject> reading_order(std::vector<SceneObject> v) {
  std::stable_sort(v.begin(), v.end(), [](const SceneObject& a, const SceneObject& b) {
    auto key = [](const SceneObject& o) { return o.cell < 0 ? (-1 - o.cell) * 2 : o.cell; };
    return key(a) < key(b);
  });
  return v;
}

Image render(const std::vector<SceneObject>& objs, const Background& bg, int size, Rng& rng) {
  Canvas canvas(size, size, bg.top);
  canvas.fill_rect(0, float(size) * 0.55f, float(size), float(size), bg.bottom);
  const float cell = float(size) / 2;
  std::vector<const SceneObject*> occludable;
  for (const SceneObject& o : objs) {
    if (o.cell < 0) {
      const float y0 = float(-1 - o.cell) * cell;
      draw_object(canvas, o, 2, y0 + 2, float(size) - 2, y0 + cell - 2);
      continue;
    }
    const float side = cell * o.scale, margin = cell - side;
    const float x0 = float(o.cell % 2) * cell + margin * rng.uniform();
    const float y0 = float(o.cell / 2) * cell + margin * rng.uniform();
    draw_object(canvas, o, x0, y0, x0 + side, y0 + side);
    occludable.push_back(&o);
  }
  // Camera: partial occlusion, small rotation, blur, brightness, sensor noise.
  if (!occludable.empty() && rng.uniform() < 0.2f) {
    const SceneObject& o = *occludable[rng.below(occludable.size())];
    const float cx = float(o.cell % 2) * cell + cell * (rng.uniform() < 0.5f ? 0.2f : 0.8f);
    const float cy = float(o.cell / 2) * cell + cell * (rng.uniform() < 0.5f ? 0.2f : 0.8f);
    canvas.fill_ellipse(cx, cy, cell * 0.12f, cell * 0.1f, {90, 85, 80});
  }
  Image img = canvas.image();
  if (rng.uniform() < 0.5f) img = rotate(img, (rng.uniform() * 2 - 1) * 4.0f, bg.top);
  if (rng.uniform() < 0.3f) box_blur3(img);
  scale_brightness(img, 0.85f + 0.3f * rng.uniform());
  add_noise(img, 6.0f * rng.uniform(), rng);
  return img;
}

}  // namespace

Split split_from_name(const std::string& name) {
  if (name == "train") return Split::train;
  if (name == "val") return Split::val;
  if (name == "test") return Split::test;
  throw_error(ErrorKind::invalid_input, "unknown split '" + name + "' (train, val or test)");
}

const char* split_name(Split s) {
  return s == Split::train ? "train" : s == Split::val ? "val" : "test";
}

const std::vector<std::string>& synth_tasks() {
  static const std::vector<std::string> v = {"caption", "color", "count",     "position",
                                             "exists",  "ocr",   "translate", "species",
                                             "cook",    "call",  "building",  "creative"};
  return v;
}

const std::vector<std::pair<std::string, std::string>>& heldout_pairs() {
  static const std::vector<std::pair<std::string, std::string>> v = {
      {"green", "car"}, {"purple", "cup"}, {"yellow", "key"}, {"blue", "house"}, {"red", "star"}};
  return v;
}

// Questions about a finished scene, as the colour / position / count / exists tasks phrase
// them, in random order without the one already asked.
std::vector<std::pair<std::string, std::string>> follow_ups(const std::vector<SceneObject>& objs,
                                                            const std::string& asked, int n,
                                                            Rng& rng) {
  std::vector<std::pair<std::string, std::string>> all;
  std::map<std::string, int> count;
  for (const SceneObject& o : objs)
    if (o.cell >= 0) ++count[o.cls];
  for (const SceneObject& o : objs) {
    if (o.cell < 0 || count[o.cls] != 1) continue;  // one of its kind: "the cup" is unambiguous
    if (!o.colour.empty()) all.emplace_back("What colour is the " + o.cls + "?", o.colour);
    all.emplace_back("Where is the " + o.cls + "?", kPositions[o.cell]);
  }
  std::vector<std::string> pool = colourable_classes();
  for (const auto& c : produce_classes()) pool.push_back(c);
  for (const auto& [cls, k] : count)
    if (std::find(pool.begin(), pool.end(), cls) != pool.end())
      all.emplace_back("How many " + plural(cls) + " are there?", std::to_string(k));
  pool.push_back("tree");
  pool.push_back("butterfly");
  for (int yes = 0; yes < 2; ++yes) {  // one class present, one absent
    std::vector<std::string> c;
    for (const auto& k : pool)
      if ((count.count(k) > 0) == (yes == 1)) c.push_back(k);
    if (!c.empty()) {
      const std::string& k = c[rng.below(c.size())];
      all.emplace_back("Is there " + article(k) + " " + k + " in the picture?", yes ? "yes" : "no");
    }
  }
  std::erase_if(all, [&](const auto& qa) { return qa.first == asked; });
  for (size_t i = all.size(); i > 1; --i) std::swap(all[i - 1], all[rng.below(i)]);
  if (int(all.size()) > n) all.resize(size_t(n));
  return all;
}

SynthSample synth_sample(uint64_t seed, Split split, int64_t index, int image_size, int questions) {
  if (image_size < 80 || image_size > 256)
    throw_error(ErrorKind::invalid_input,
                "image size " + std::to_string(image_size) + " is outside 80..256");
  // Disjoint streams per split: the split and index are mixed into the seed.
  Rng rng(seed * 0x9E3779B97F4A7C15ull + (uint64_t(split) + 1) * 0xD1B54A32D192ED03ull +
          uint64_t(index) * 0xA24BAED4963EE407ull);
  SynthSample s;
  s.task = synth_tasks()[size_t(index) % synth_tasks().size()];
  const Background& bg = kBackgrounds[rng.below(std::size(kBackgrounds))];
  SceneBuilder b(rng, split);
  const std::string& t = s.task;
  auto fillers = [&](int max, const std::set<std::string>& avoid) {
    const int n = int(rng.below(uint64_t(std::min(max, b.free_cells()) + 1)));
    for (int i = 0; i < n; ++i) b.add_filler(avoid);
  };
  if (t == "caption" || t == "creative") {
    const int n = t == "creative" ? 1 : 1 + int(rng.below(3));
    for (int i = 0; i < n; ++i) b.add_filler({});
    const auto objs = reading_order(b.objects());
    if (t == "caption") {
      s.question = "Describe the image briefly.";
      s.answer = join_phrases(objs) + ".";
      s.answer[0] = char(std::toupper(s.answer[0]));
    } else {
      s.question = "Write a short caption for this photo.";
      s.answer = std::string(bg.caption) + " with " + objs[0].phrase() + ".";
    }
  } else if (t == "color" || t == "position") {
    const std::string cls = pick(rng, colourable_classes());
    const SceneObject target = b.add(cls);
    fillers(3, {cls});
    s.question = t == "color" ? "What colour is the " + cls + "?" : "Where is the " + cls + "?";
    s.answer = t == "color" ? target.colour : kPositions[target.cell];
  } else if (t == "count") {
    std::vector<std::string> pool = colourable_classes();
    for (const auto& c : produce_classes()) pool.push_back(c);
    const std::string cls = pick(rng, pool);
    const int n = 1 + int(rng.below(4));
    for (int i = 0; i < n; ++i) b.add(cls);
    fillers(4 - n, {cls});
    s.question = "How many " + plural(cls) + " are there?";
    s.answer = std::to_string(n);
  } else if (t == "exists") {
    std::vector<std::string> pool = colourable_classes();
    for (const auto& c : produce_classes()) pool.push_back(c);
    pool.push_back("tree");
    pool.push_back("butterfly");
    const std::string cls = pick(rng, pool);
    const bool yes = rng.below(2) == 1;
    if (yes) b.add(cls);
    fillers(3, {cls});
    if (b.objects().empty()) b.add_filler({cls});
    s.question = "Is there " + article(cls) + " " + cls + " in the picture?";
    s.answer = yes ? "yes" : "no";
  } else if (t == "ocr" || t == "translate") {
    const bool ocr = t == "ocr";
    const auto& entry = kDictionary[rng.below(kDictionary.size())];
    const std::string word = ocr ? pick(rng, kSignWords) : entry.first;
    b.add_text("sign", word);
    fillers(2, {});
    s.question = ocr ? "What does the sign say?" : "Translate the sign into English.";
    s.answer = ocr ? word : entry.second;
  } else if (t == "species") {
    const SceneObject target = b.add("butterfly");
    fillers(2, {"butterfly"});
    s.question = "What butterfly is this?";
    s.answer = target.species;
  } else if (t == "cook") {
    const Recipe& r = kRecipes[rng.below(std::size(kRecipes))];
    b.add(r.a);
    b.add(r.b);
    s.question = "What can I cook with this?";
    s.answer = r.dish;
  } else if (t == "call") {
    char number[16];
    std::snprintf(number, sizeof number, "%03d %04d", int(rng.below(1000)), int(rng.below(10000)));
    b.add_text("card", std::string("+1 ") + number);
    fillers(2, {});
    s.question = "Call this number.";
    s.answer = std::string("{\"call\": \"+1 ") + number + "\"}";
  } else {  // building
    const SceneObject house = b.add("house");
    fillers(2, {"house"});
    s.question = "Describe the building.";
    const int windows = house.floors * house.windows_per_floor;
    s.answer = article(house.colour) + " " + house.colour + " house with " +
               std::to_string(house.floors) + (house.floors == 1 ? " floor" : " floors") + " and " +
               std::to_string(windows) + (windows == 1 ? " window" : " windows");
  }
  for (const SceneObject& o : b.objects()) s.heldout = s.heldout || is_heldout(o.colour, o.cls);
  s.image = render(b.objects(), bg, image_size, rng);
  if (questions > 1) {  // a stream of their own: the rest of the sample stays as it was
    Rng more(rng.below(~0ull) ^ 0x6A09E667F3BCC908ull);
    s.follow_ups = follow_ups(b.objects(), s.question, questions - 1, more);
  }
  return s;
}

}  // namespace anymal::data
