// The things of the synthetic glasses world and how each is drawn: colourable objects
// (shapes, car, house, cup, key, phone), produce with its own colour, five butterfly species
// told apart by wing colour and pattern, a tree, and text objects (a sign with a word, a card
// with a phone number). draw_object fills the box it is given, keeping the object's aspect.
#pragma once

#include <string>
#include <vector>

#include "data/canvas.h"

namespace anymal::data {

struct NamedColour {
  const char* name;
  Rgb rgb;
};
const std::vector<NamedColour>& colours();  // ten: red, green, blue, yellow, ...
Rgb colour_rgb(const std::string& name);    // throws internal for an unknown name

const std::vector<std::string>& colourable_classes();  // the colour is part of the object
const std::vector<std::string>& produce_classes();     // fruit and vegetables
const std::vector<std::string>& butterfly_species();
std::string plural(const std::string& cls);
// "a" or "an" before `word`.
std::string article(const std::string& word);

struct SceneObject {
  std::string cls;      // "car", "apple", "butterfly", "sign", "card", "tree", ...
  std::string colour;   // colourable classes
  std::string species;  // butterfly
  std::string text;     // sign word, card number
  int floors = 0, windows_per_floor = 0;  // house
  int cell = 0;        // quadrant: 0 top left, 1 top right, 2 bottom left, 3 bottom right
  float scale = 0.8f;  // of the cell
  // How the object is said in a caption: "a red car", "an apple", "a monarch butterfly".
  std::string phrase() const;
};

void draw_object(Canvas& canvas, const SceneObject& obj, float x0, float y0, float x1, float y1);

}  // namespace anymal::data
