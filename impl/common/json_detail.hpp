// Internal to impl/common: the JSON limits and the DOM-free validation shared by text.cpp and
// message.cpp.
#pragma once

#include <cstddef>
#include <string_view>

#include <boost/json/error.hpp>

namespace tether::detail {

// Nesting limit for JSON that tether validates or parses (Boost.JSON's default is only 32).
inline constexpr std::size_t kMaxJsonDepth = 512;

// Parses s as one JSON value without building a DOM. On failure sets ec and returns the byte
// offset where the parse stopped; trailing non-whitespace is error::extra_data.
std::size_t json_error_offset(std::string_view s, boost::json::error_code &ec);

}  // namespace tether::detail
