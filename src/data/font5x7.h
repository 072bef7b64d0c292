// A 5x7 bitmap font (A-Z, 0-9, '+', '-', '.', ':', space; lower case drawn as upper case) for the
// text the synthetic world puts on signs and cards. Glyphs are 5 columns x 7 rows; the advance
// is 6.
#pragma once

#include <cstdint>

namespace anymal::data {

inline constexpr int kGlyphWidth = 5, kGlyphHeight = 7, kGlyphAdvance = 6;

// Seven rows, bit 4 the leftmost column; nullptr for characters the font lacks.
const uint8_t* glyph_rows(char c);

}  // namespace anymal::data
