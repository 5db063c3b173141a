// See cuda-runner.h. Device pointers are resolved once here (arena base or
// weight base plus the tensor's offset), so a run only enqueues work.
#include "cuda-runner.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "../text.h"
#include "cuda-errors.h"

namespace kiln::cuda {
namespace {

constexpr size_t kSlotAlign = 64;

bool graphsEnabled() {
  const char* v = std::getenv("KILN_CUDA_GRAPH");
  return !(v && std::strcmp(v, "0") == 0);
}

}  // namespace

CudaRunner::CudaRunner(const CudaEngine& engine, const PlanModel& plan) : engine_(engine), useGraph_(graphsEnabled()) {
  engine_.context().makeCurrent();
  arena_ = DeviceBuffer(plan.arenaBytes);
  stream_ = createStream();
  start_ = createEvent();
  end_ = createEvent();

  auto device = [&](uint32_t t) -> CUdeviceptr {
    const TensorDesc& d = plan.tensors[t];
    return (d.location == Location::arena ? arena_.get() : engine_.weights()) + d.offset;
  };

  // One pinned slot per distinct graph input or output.
  std::vector<size_t> slot(plan.tensors.size(), SIZE_MAX);
  size_t total = 0;
  for (const auto* list : {&plan.inputs, &plan.outputs})
    for (uint32_t t : *list)
      if (slot[t] == SIZE_MAX) {
        slot[t] = total;
        total += (tensorBytes(plan.tensors[t]) + kSlotAlign - 1) / kSlotAlign * kSlotAlign;
      }
  staging_ = PinnedBuffer(total);
  host_.assign(plan.tensors.size(), nullptr);
  for (size_t t = 0; t < slot.size(); ++t)
    if (slot[t] != SIZE_MAX) host_[t] = staging_.data() + slot[t];
  for (uint32_t t : plan.inputs) uploads_.push_back({device(t), host_[t], size_t(tensorBytes(plan.tensors[t]))});
  for (uint32_t t : plan.outputs) downloads_.push_back({device(t), host_[t], size_t(tensorBytes(plan.tensors[t]))});

  size_t workspace = 0;
  for (size_t i = 0; i < plan.cuda.launches.size(); ++i) {
    const CudaLaunch& l = plan.cuda.launches[i];
    Launch x{engine_.function(i), {l.grid[0], l.grid[1], l.grid[2]}, {l.block[0], l.block[1], l.block[2]}, l.sharedBytes, {}, {}, {}};
    if (l.kind == LaunchKind::cublasLt) {
      if (!ltHandle_) ltHandle_ = std::make_unique<LtHandle>();
      auto at = [&](uint32_t t) -> CUdeviceptr { return t == kNoTensor ? 0 : device(t); };
      const LtPointers p{at(l.lt.a), at(l.lt.b), at(l.lt.c), at(l.lt.d), at(l.lt.bias)};
      x.lt = std::make_unique<LtMatmul>(*ltHandle_, l.lt, p, cat("layer ", quoted(plan.layers[l.layer].name), " (", l.function, ")"));
      workspace = std::max(workspace, x.lt->workspaceBytes());
      launches_.push_back(std::move(x));
      continue;
    }
    for (uint32_t a : l.args) x.values.push_back(device(a));
    for (CUdeviceptr& v : x.values) x.params.push_back(&v);
    launches_.push_back(std::move(x));  // moving keeps the vectors' buffers, so params stay valid
  }
  ltWorkspace_ = DeviceBuffer(workspace);
}

CudaRunner::~CudaRunner() { engine_.context().makeCurrentNoThrow(); }

void CudaRunner::enqueue() {
  const Driver& d = requireDriver();
  for (const Copy& c : uploads_) KILN_CU(d.cuMemcpyHtoDAsync(c.device, c.host, c.bytes, stream_.get()));
  for (Launch& l : launches_) launch(l);
  for (const Copy& c : downloads_) KILN_CU(d.cuMemcpyDtoHAsync(c.host, c.device, c.bytes, stream_.get()));
}

void CudaRunner::launch(Launch& l) {
  if (l.lt) return l.lt->enqueue(stream_.get(), ltWorkspace_.get(), ltWorkspace_.size());
  KILN_CU(requireDriver().cuLaunchKernel(l.function, l.grid[0], l.grid[1], l.grid[2], l.block[0], l.block[1], l.block[2],
                                         l.sharedBytes, stream_.get(), l.params.data(), nullptr));
}

std::vector<double> CudaRunner::profileLaunches(int repeats) {
  const Driver& d = requireDriver();
  engine_.context().makeCurrent();
  std::vector<Event> marks;
  for (size_t i = 0; i <= launches_.size(); ++i) marks.push_back(createEvent());
  enqueue();  // warm up: first-touch of memory and of the module's code
  KILN_CU(d.cuStreamSynchronize(stream_.get()));
  std::vector<double> total(launches_.size(), 0.0);
  for (int r = 0; r < repeats; ++r) {
    for (size_t i = 0; i < launches_.size(); ++i) {
      KILN_CU(d.cuEventRecord(marks[i].get(), stream_.get()));
      launch(launches_[i]);
    }
    KILN_CU(d.cuEventRecord(marks.back().get(), stream_.get()));
    KILN_CU(d.cuStreamSynchronize(stream_.get()));
    for (size_t i = 0; i < launches_.size(); ++i) {
      float ms = 0;
      KILN_CU(d.cuEventElapsedTime(&ms, marks[i].get(), marks[i + 1].get()));
      total[i] += ms;
    }
  }
  for (double& t : total) t /= repeats > 0 ? repeats : 1;
  return total;
}

void CudaRunner::capture() {
  const Driver& d = requireDriver();
  // Each cuBLASLt call once outside the capture, so whatever the library sets up on first
  // use (loading its kernels) happens before the graph is recorded. Its outputs are arena
  // bytes every replay computes again from the inputs.
  bool warmed = false;
  for (Launch& l : launches_)
    if (l.lt) {
      launch(l);
      warmed = true;
    }
  if (warmed) KILN_CU(d.cuStreamSynchronize(stream_.get()));
  // Relaxed: a library call inside the capture (cuBLASLt) may query or set up state through
  // APIs the thread-local mode forbids; on an H100 one of ResNet-shaped cuBLASLt sequences
  // invalidated a thread-local capture (CUDA_ERROR_STREAM_CAPTURE_INVALID).
  KILN_CU(d.cuStreamBeginCapture(stream_.get(), kCaptureRelaxed));
  CUgraph raw = nullptr;
  bool recorded = true;
  try {
    enqueue();
  } catch (...) {
    recorded = false;
  }
  const CUresult ended = d.cuStreamEndCapture(stream_.get(), &raw);  // leaves the stream usable either way
  Graph graph(raw);
  CUgraphExec exec = nullptr;
  if (recorded && ended == 0 && graph.get() && d.cuGraphInstantiateWithFlags(&exec, graph.get(), 0) == 0) {
    graph_ = GraphExec(exec);
    return;
  }
  // A plan whose launches cannot be recorded still runs: launch by launch on the stream
  // (a failing launch then reports its own error there).
  useGraph_ = false;
}

void CudaRunner::run() {
  const Driver& d = requireDriver();
  engine_.context().makeCurrent();
  if (useGraph_ && !graph_.get()) capture();
  KILN_CU(d.cuEventRecord(start_.get(), stream_.get()));
  if (useGraph_) KILN_CU(d.cuGraphLaunch(graph_.get(), stream_.get()));
  else enqueue();
  KILN_CU(d.cuEventRecord(end_.get(), stream_.get()));
  KILN_CU(d.cuStreamSynchronize(stream_.get()));
  float ms = 0;
  KILN_CU(d.cuEventElapsedTime(&ms, start_.get(), end_.get()));
  gpuMs_ = ms;
}

}  // namespace kiln::cuda
