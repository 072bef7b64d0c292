// The single-page web UI served at GET /: take a photo with the camera (getUserMedia) or pick
// one, ask, and watch the answer stream in (fetch + server-sent events). Self-contained: no
// external scripts, styles or fonts. The page is web/index.html, built in.
#pragma once

#include <string_view>

namespace anymal::serve {

std::string_view web_ui_html();

}  // namespace anymal::serve
