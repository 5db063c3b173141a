// Optional CUDA libraries reached through dlopen (NVRTC, cuBLASLt): where to
// look, binding their entry points, and the state loaded once per process that
// their functions share. Their sonames carry the toolkit's major version, so the
// plain name comes first, then each versioned name from newest, then the usual
// toolkit folders: a machine with one CUDA installed just works.
#pragma once

#include <dlfcn.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "../text.h"
#include "cuda-errors.h"

namespace kiln::cuda {

// "libX.so", "libX.so.<newest>" .. "libX.so.<oldest>", then each of those in
// $CUDA_HOME/lib64 and /usr/local/cuda/lib64.
inline std::vector<std::string> cudaLibraryNames(const std::string& base, int newest, int oldest) {
  std::vector<std::string> names = {base};
  for (int v = newest; v >= oldest; --v) names.push_back(cat(base, ".", v));
  std::vector<std::string> dirs;
  if (const char* home = std::getenv("CUDA_HOME")) dirs.push_back(cat(home, "/lib64/"));
  dirs.push_back("/usr/local/cuda/lib64/");
  const size_t plain = names.size();
  for (const std::string& dir : dirs)
    for (size_t i = 0; i < plain; ++i) names.push_back(dir + names[i]);
  return names;
}

// The first of `names` that dlopen loads, or null.
inline void* openFirst(const std::vector<std::string>& names) {
  for (const std::string& n : names)
    if (void* lib = dlopen(n.c_str(), RTLD_NOW | RTLD_LOCAL)) return lib;
  return nullptr;
}

template <typename Fn>
bool bindSymbol(void* lib, Fn*& slot, const char* name) {
  slot = reinterpret_cast<Fn*>(dlsym(lib, name));
  return slot != nullptr;
}

// A library's entry points once loaded, or why it is not here.
template <typename Api>
struct LoadedLibrary {
  Api api{};
  bool ok = false;
  std::string whyNot;

  bool available(std::string* why) const {
    if (!ok && why) *why = whyNot;
    return ok;
  }
  // KILN_CUDA with the reason when the library is missing.
  const Api& require() const {
    if (!ok) throw Error(codes::kCuda, whyNot);
    return api;
  }
};

}  // namespace kiln::cuda
