// See nvrtc.h. The library is found as dl-library.h says (libnvrtc.so,
// .so.14 down to .so.11, the toolkit folders).
#include "nvrtc.h"

#include <mutex>

#include "dl-library.h"

namespace kiln::cuda {
namespace {

using nvrtcProgram = struct nvrtcProgramOpaque*;

struct Nvrtc {
  const char* (*getErrorString)(int);
  int (*version)(int*, int*);
  int (*createProgram)(nvrtcProgram*, const char*, const char*, int, const char* const*, const char* const*);
  int (*compileProgram)(nvrtcProgram, int, const char* const*);
  int (*getProgramLogSize)(nvrtcProgram, size_t*);
  int (*getProgramLog)(nvrtcProgram, char*);
  int (*getCUBINSize)(nvrtcProgram, size_t*);
  int (*getCUBIN)(nvrtcProgram, char*);
  int (*destroyProgram)(nvrtcProgram*);
};

using Loaded = LoadedLibrary<Nvrtc>;

void* openNvrtc(std::string* tried) {
  const std::vector<std::string> names = cudaLibraryNames("libnvrtc.so", 14, 11);
  if (void* lib = openFirst(names)) return lib;
  *tried = joined(std::vector<std::string>(names.begin(), names.begin() + 5), ", ");
  return nullptr;
}

const Loaded& loaded() {
  static Loaded state;
  static std::once_flag once;
  std::call_once(once, [] {
    std::string tried;
    void* lib = openNvrtc(&tried);
    if (!lib) {
      state.whyNot = cat("NVRTC not found (tried ", tried, " and the CUDA toolkit folders)");
      return;
    }
    Nvrtc& n = state.api;
    auto sym = [lib](auto*& slot, const char* name) { return bindSymbol(lib, slot, name); };
    const bool all = sym(n.getErrorString, "nvrtcGetErrorString") && sym(n.version, "nvrtcVersion") &&
                     sym(n.createProgram, "nvrtcCreateProgram") && sym(n.compileProgram, "nvrtcCompileProgram") &&
                     sym(n.getProgramLogSize, "nvrtcGetProgramLogSize") && sym(n.getProgramLog, "nvrtcGetProgramLog") &&
                     sym(n.getCUBINSize, "nvrtcGetCUBINSize") && sym(n.getCUBIN, "nvrtcGetCUBIN") &&
                     sym(n.destroyProgram, "nvrtcDestroyProgram");
    if (!all) {
      state.whyNot = "the NVRTC library found lacks entry points kiln needs (nvrtcGetCUBIN needs CUDA 11.1 or later)";
      return;
    }
    state.ok = true;
  });
  return state;
}

const Nvrtc& require() { return loaded().require(); }

void checkNvrtc(const Nvrtc& n, int result, const char* call, const char* file, int line) {
  if (result != 0) throw Error(codes::kCuda, cat(call, " failed: ", n.getErrorString(result), " at ", file, ":", line));
}

#define KILN_NVRTC(call) checkNvrtc(n, (call), #call, __FILE__, __LINE__)

// Owns one program so every exit path destroys it.
struct Program {
  const Nvrtc& n;
  nvrtcProgram p = nullptr;
  ~Program() {
    if (p) n.destroyProgram(&p);
  }
};

}  // namespace

bool nvrtcAvailable(std::string* whyNot) { return loaded().available(whyNot); }

std::string nvrtcVersion() {
  if (!nvrtcAvailable()) return {};
  int major = 0, minor = 0;
  loaded().api.version(&major, &minor);
  return cat(major, ".", minor);
}

CompileResult compileCubin(const std::string& source, const std::string& name, int arch,
                           const std::vector<std::string>& extraOptions) {
  const Nvrtc& n = require();
  Program prog{n};
  KILN_NVRTC(n.createProgram(&prog.p, source.c_str(), name.c_str(), 0, nullptr, nullptr));
  // A real architecture (sm_, not compute_) makes NVRTC emit SASS, i.e. a cubin.
  std::vector<std::string> options = {cat("--gpu-architecture=sm_", arch), "--std=c++17"};
  options.insert(options.end(), extraOptions.begin(), extraOptions.end());
  std::vector<const char*> argv;
  for (const std::string& o : options) argv.push_back(o.c_str());
  const int compiled = n.compileProgram(prog.p, int(argv.size()), argv.data());
  CompileResult out;
  size_t logSize = 0;
  KILN_NVRTC(n.getProgramLogSize(prog.p, &logSize));
  if (logSize > 1) {
    out.log.resize(logSize);
    KILN_NVRTC(n.getProgramLog(prog.p, out.log.data()));
    out.log.resize(logSize - 1);
  }
  if (compiled != 0)
    throw Error(codes::kCudaCompile, cat("NVRTC could not compile ", name, " for sm_", arch, ": ",
                                         n.getErrorString(compiled), "\n", out.log));
  size_t size = 0;
  KILN_NVRTC(n.getCUBINSize(prog.p, &size));
  out.cubin.resize(size);
  KILN_NVRTC(n.getCUBIN(prog.p, reinterpret_cast<char*>(out.cubin.data())));
  return out;
}

}  // namespace kiln::cuda
