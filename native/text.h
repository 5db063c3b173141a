// Small string helpers for building error messages. Messages are API (tests
// match them), so they are built in one consistent style: cat(...) joins any
// streamable values, quoted() wraps names in single quotes.
#pragma once

#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace kiln {

template <typename... Parts>
std::string cat(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}

inline std::string quoted(std::string_view name) {
  std::string s;
  s.reserve(name.size() + 2);
  s.push_back('\'');
  s.append(name);
  s.push_back('\'');
  return s;
}

// "[1,2,3]"; used for shapes and small integer lists alike.
template <typename T>
std::string listString(const std::vector<T>& values) {
  std::ostringstream out;
  out << '[';
  for (size_t i = 0; i < values.size(); ++i) out << (i ? "," : "") << values[i];
  out << ']';
  return out.str();
}

inline std::string joined(const std::vector<std::string>& items, std::string_view sep) {
  std::string s;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) s.append(sep);
    s.append(items[i]);
  }
  return s;
}

}  // namespace kiln
